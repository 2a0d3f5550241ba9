-- When each (tenant, agent, environment) last started a session, from the 1-minute session rollups of
-- [{since}, {until}): the end of its newest bucket. The no-data rule.
SELECT tenant, agent_name, environment, toDateTime64(max(r.bucket), 6, 'UTC') + INTERVAL 1 MINUTE AS last_seen, sum(r.sessions) AS session_count
FROM rollup_agents_live AS r
WHERE r.grain = '1m' AND r.bucket >= {since:DateTime64(9)} AND r.bucket < {until:DateTime64(9)} AND r.sessions > 0
  AND ({any_tenant:UInt8} OR tenant = {tenant:String})
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY tenant, agent_name, environment
