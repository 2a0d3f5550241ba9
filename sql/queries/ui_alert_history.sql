-- A tenant's alert state changes in [{since}, {until}), newest first, optionally of one agent.
SELECT at, rule, series_key, agent_name, from_state, to_state, value, threshold, summary, silenced
FROM alert_history
WHERE tenant = {tenant:String} AND at >= {since:DateTime64(9)} AND at < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
ORDER BY at DESC, rule, series_key
LIMIT 500
