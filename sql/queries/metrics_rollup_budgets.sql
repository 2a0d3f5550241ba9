-- Spend and budgets of one agent in [{since}, {until}): its whole hours [{hours_since}, {hours_until}) at the 1h grain, the
-- minutes around them at 1m, optionally of one version /
-- environment / segment: each bucket with the budgets its rollup row carries.
SELECT agent_version, environment, segment, toDateTime64(bucket, 0, 'UTC') AS bucket, spend_usd, budget_cost_p95_usd, budget_daily_spend_usd
FROM rollup_agents_live
WHERE tenant = {tenant:String} AND agent_name = {agent:String}
  AND ((grain = '1h' AND bucket >= {hours_since:DateTime64(9)} AND bucket < {hours_until:DateTime64(9)})
    OR (grain = '1m' AND bucket >= {since:DateTime64(9)} AND bucket < {until:DateTime64(9)}
        AND NOT (bucket >= {hours_since:DateTime64(9)} AND bucket < {hours_until:DateTime64(9)})))
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
  AND ({any_segment:UInt8} OR segment = {segment:String})
