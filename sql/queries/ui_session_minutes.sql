-- ui_agent_buckets at the 1-minute grain, from the sessions themselves (the session rollups are hourly): per
-- (minute of the session start, agent, version) of {tenant}'s sessions that started in [{since}, {until}),
-- optionally of one agent / version / environment.
SELECT toDateTime(toStartOfMinute(first_start), 'UTC') AS bucket, agent_name, agent_version, count() AS sessions,
       countIf(finished = 1) AS finished, countIf(outcome = 'resolved') AS resolved, sum(cost_usd) AS spend_usd,
       sum(toUInt64(model_calls)) AS model_calls, sum(toUInt64(unpriced_spans)) AS unpriced_spans,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
FROM sessions FINAL
WHERE tenant = {tenant:String} AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY bucket, agent_name, agent_version
ORDER BY bucket, agent_name, agent_version
SETTINGS do_not_merge_across_partitions_select_final = 1
