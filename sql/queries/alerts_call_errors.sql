-- Model and tool calls and their errors per (tenant, agent, version, environment, segment, kind) whose sessions
-- started in [{since}, {until}): the tool and model error-rate thresholds. Hours inside the window count their
-- rows' totals, the window's partial hours the calls of its minutes (the rows' per-call arrays); rows of one
-- kind and name only (tools per name), so each call counts once.
SELECT tenant, agent_name, agent_version, environment, segment, kind,
       sum(if(whole, hour_calls, arrayCount(m -> bucket + m * 60 >= {since:DateTime64(9)} AND bucket + m * 60 < {until:DateTime64(9)},
                                       minutes))) AS calls,
       sum(if(whole, hour_errors, arraySum((m, f) -> f * (bucket + m * 60 >= {since:DateTime64(9)} AND bucket + m * 60 < {until:DateTime64(9)}),
                                      minutes, failures))) AS errors
FROM
(
    SELECT tenant, agent_name, agent_version, environment, segment, kind, bucket, calls AS hour_calls, errors AS hour_errors,
           minutes, failures,
           bucket >= {since:DateTime64(9)} AND bucket + INTERVAL 1 HOUR <= {until:DateTime64(9)} AS whole
    FROM rollup_calls_live
    WHERE grain = '1h' AND (kind = 'model' OR name != '')
      AND bucket >= toStartOfHour({since:DateTime64(9)}) AND bucket < {until:DateTime64(9)}
      AND ({any_tenant:UInt8} OR tenant = {tenant:String})
      AND ({any_agent:UInt8} OR agent_name = {agent:String})
      AND ({any_version:UInt8} OR agent_version = {version:String})
      AND ({any_environment:UInt8} OR environment = {environment:String})
)
GROUP BY tenant, agent_name, agent_version, environment, segment, kind
HAVING calls > 0
