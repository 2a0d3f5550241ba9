-- The cost per finished session of {tenant}'s sessions that started in [{since}, {until}), optionally of one
-- agent / version / environment: how many, how many cost nothing, the lowest and highest positive cost, and
-- the exact nearest-rank p50 / p95 / p99 (quantileExactHigh at p - 1e-12 selects rank ceil(p * n / 100):
-- sql/queries/ui_overview_figures.sql says why). The bins come from ui_session_cost_bins.sql.
SELECT count() AS sessions, countIf(cost_usd <= 0) AS free,
       minIf(cost_usd, cost_usd > 0) AS low, maxIf(cost_usd, cost_usd > 0) AS high,
       quantilesExactHigh(0.5 - 1e-12, 0.95 - 1e-12, 0.99 - 1e-12)(cost_usd) AS marks
FROM sessions FINAL
WHERE tenant = {tenant:String} AND finished = 1
  AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
SETTINGS do_not_merge_across_partitions_select_final = 1
