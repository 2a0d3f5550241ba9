-- Model and tool calls and their errors per (tenant, agent, version, environment, segment, kind) whose sessions
-- started in [{since}, {until}): the tool and model error-rate thresholds. Hours inside the window count their
-- rows' totals, the window's partial hours the calls of its minutes (view rollup_call_minutes); rows of one kind
-- and name (tools per name), so each call counts once.
SELECT tenant, agent_name, agent_version, environment, segment, kind, sum(part_calls) AS calls, sum(part_errors) AS errors
FROM
(
    SELECT tenant, agent_name, agent_version, environment, segment, kind, calls AS part_calls, errors AS part_errors
    FROM rollup_calls_live
    WHERE grain = '1h' AND (kind = 'model' OR name != '')
      AND bucket >= {since:DateTime64(9)} AND bucket + INTERVAL 1 HOUR <= {until:DateTime64(9)}
      AND ({any_tenant:UInt8} OR tenant = {tenant:String})
      AND ({any_agent:UInt8} OR agent_name = {agent:String})
      AND ({any_version:UInt8} OR agent_version = {version:String})
      AND ({any_environment:UInt8} OR environment = {environment:String})
    UNION ALL
    SELECT tenant, agent_name, agent_version, environment, segment, kind, toUInt64(1) AS part_calls, toUInt64(failure) AS part_errors
    FROM rollup_call_minutes(since = {since:DateTime64(9)}, until = {until:DateTime64(9)})
    WHERE ({any_tenant:UInt8} OR tenant = {tenant:String})
      AND ({any_agent:UInt8} OR agent_name = {agent:String})
      AND ({any_version:UInt8} OR agent_version = {version:String})
      AND ({any_environment:UInt8} OR environment = {environment:String})
)
GROUP BY tenant, agent_name, agent_version, environment, segment, kind
