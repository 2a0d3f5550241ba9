-- When each (tenant, agent, environment) last started a session, from the sessions whose start minute lies in
-- [{since}, {until}): the end of the newest such minute. The no-data rule.
SELECT tenant, agent_name, environment, toDateTime64(max(toStartOfMinute(first_start)), 6, 'UTC') + INTERVAL 1 MINUTE AS last_seen,
       count() AS session_count
FROM sessions FINAL
WHERE toStartOfMinute(first_start) >= {since:DateTime64(9)} AND toStartOfMinute(first_start) < {until:DateTime64(9)}
  AND ({any_tenant:UInt8} OR tenant = {tenant:String})
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY tenant, agent_name, environment
SETTINGS do_not_merge_across_partitions_select_final = 1
