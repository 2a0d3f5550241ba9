-- State changes from the engine's frame (alerts/state_store.py).
INSERT INTO alert_history (rule, series_key, tenant, agent_name, labels, from_state, to_state, value, threshold, summary, silenced, at)
SELECT rule, series_key, tenant, agent_name, labels, from_state, to_state, value, threshold, summary, silenced, at
FROM {source}
