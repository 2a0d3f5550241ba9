-- Alert series states from the engine's frame (alerts/state_store.py).
INSERT INTO alert_states (rule, series_key, tenant, agent_name, labels, state, state_since, pending_since, fired_at,
    resolved_at, value, threshold, summary, notified, last_notified_at, notifications, evaluated_at, updated_at)
SELECT rule, series_key, tenant, agent_name, labels, state, state_since, pending_since, fired_at,
    resolved_at, value, threshold, summary, notified, last_notified_at, notifications, evaluated_at, now64(6)
FROM {source}
