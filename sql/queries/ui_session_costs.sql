-- The cost of every finished session of {tenant} that started in [{since}, {until}), optionally of one agent /
-- version / environment, ascending: the cost-per-session distribution and its exact percentiles.
SELECT cost_usd
FROM sessions FINAL
WHERE tenant = {tenant:String} AND finished = 1
  AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
ORDER BY cost_usd
SETTINGS do_not_merge_across_partitions_select_final = 1
