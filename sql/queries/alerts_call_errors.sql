-- Model and tool calls and their errors per (tenant, agent, version, environment, segment, kind) in the
-- 1-minute call rollups of [{since}, {until}): the tool and model error-rate thresholds.
SELECT tenant, agent_name, agent_version, environment, segment, kind, sum(calls) AS calls, sum(errors) AS errors
FROM rollup_calls_live
WHERE grain = '1m' AND name = '' AND bucket >= {since:DateTime64(9)} AND bucket < {until:DateTime64(9)}
  AND ({any_tenant:UInt8} OR tenant = {tenant:String})
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY tenant, agent_name, agent_version, environment, segment, kind
