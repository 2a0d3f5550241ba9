-- The alert series of a tenant that are not ok (firing first, then pending, then those resolved since {since}),
-- optionally of one agent.
SELECT rule, series_key, agent_name, labels, state, state_since, fired_at, resolved_at, value, threshold, summary, notified,
       evaluated_at
FROM alert_states FINAL
WHERE tenant = {tenant:String} AND state != 'ok' AND (state != 'resolved' OR resolved_at >= {since:DateTime64(9)})
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
ORDER BY multiIf(state = 'firing', 0, state = 'pending', 1, 2), state_since DESC, rule, series_key
LIMIT 500
