-- State changes since {since}, newest first, optionally of one rule and one agent.
SELECT at, rule, series_key, tenant, agent_name, labels, from_state, to_state, value, threshold, summary, silenced
FROM alert_history
WHERE at >= {since:DateTime64(6)}
  AND ({any_rule:UInt8} OR rule = {rule:String})
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
ORDER BY at DESC, rule, series_key
LIMIT {limit:UInt32}
