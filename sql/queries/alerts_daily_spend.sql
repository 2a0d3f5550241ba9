-- Spend since {since} (the UTC day's start) up to {until} per (tenant, agent, version, environment) from the
-- hourly session rollups, with the daily budget the newest rows carry.
SELECT tenant, agent_name, agent_version, environment, sum(spend_usd) AS daily_spend_usd,
       argMax(budget_daily_spend_usd, bucket) AS budget_daily_spend_usd
FROM rollup_agents_live
WHERE grain = '1h' AND bucket >= {since:DateTime64(9)} AND bucket < {until:DateTime64(9)}
  AND ({any_tenant:UInt8} OR tenant = {tenant:String})
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY tenant, agent_name, agent_version, environment
