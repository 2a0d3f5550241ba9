-- The agents, versions and environments of {tenant} with sessions in the hours overlapping
-- [{since}, {until}), with their session counts: the options of the agent, version and environment filters.
SELECT agent_name, agent_version, environment, sum(sessions) AS sessions
FROM rollup_agents_live
WHERE tenant = {tenant:String} AND grain = '1h'
  AND bucket >= toStartOfHour({since:DateTime64(9)}) AND bucket < {until:DateTime64(9)}
GROUP BY agent_name, agent_version, environment
ORDER BY agent_name, agent_version, environment
