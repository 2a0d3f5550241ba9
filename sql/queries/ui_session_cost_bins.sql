-- The same sessions as ui_session_cost_summary.sql, counted on {bins} log-spaced bins from {low} to {high}
-- (the positive costs' range): bin i holds the costs c with floor(ln(c / low) / ln(high / low) * bins) = i.
SELECT least(greatest(toInt64(floor(log(cost_usd / {low:Float64}) / log({high:Float64} / {low:Float64}) * {bins:UInt32})), 0),
             {bins:UInt32} - 1) AS bin,
       count() AS sessions
FROM sessions FINAL
WHERE tenant = {tenant:String} AND finished = 1 AND cost_usd > 0
  AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY bin
SETTINGS do_not_merge_across_partitions_select_final = 1
