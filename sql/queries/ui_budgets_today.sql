-- Each agent's spend since {day_start} (the UTC day) and the budgets its newest rollup rows carry,
-- optionally of one agent / version / environment (the budgets are the agent's whatever the filter).
SELECT agent_name, sum(spend_usd) AS spend_today_usd,
       argMax(budget_daily_spend_usd, bucket) AS daily_budget_usd,
       argMax(budget_cost_p95_usd, bucket) AS cost_p95_budget_usd
FROM rollup_agents_live
WHERE tenant = {tenant:String} AND grain = '1h' AND bucket >= {day_start:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY agent_name
ORDER BY agent_name
