-- The current state of every series of the given rules (a JSON array of rule names; [] for all rules).
SELECT rule, series_key, tenant, agent_name, labels, state, state_since, pending_since, fired_at, resolved_at, value,
       threshold, summary, notified, last_notified_at, notifications, evaluated_at
FROM alert_states FINAL
WHERE empty(JSONExtract({rules:String}, 'Array(String)')) OR has(JSONExtract({rules:String}, 'Array(String)'), rule)
ORDER BY rule, series_key
