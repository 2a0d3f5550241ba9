-- The current state of each alert rule and series (alerts/state.py): ok, pending (held for `for:`),
-- firing or resolved, what the channels were last told (notified) and the notification count that numbers
-- the next notification's id. The newest row per (rule, series_key) wins (read with FINAL).
CREATE TABLE IF NOT EXISTS alert_states
(
    rule LowCardinality(String),
    series_key String,
    tenant LowCardinality(String),
    agent_name LowCardinality(String),
    labels String,
    state LowCardinality(String),
    state_since DateTime64(6, 'UTC'),
    pending_since Nullable(DateTime64(6, 'UTC')),
    fired_at Nullable(DateTime64(6, 'UTC')),
    resolved_at Nullable(DateTime64(6, 'UTC')),
    value Nullable(Float64),
    threshold Nullable(Float64),
    summary String,
    notified LowCardinality(String),
    last_notified_at Nullable(DateTime64(6, 'UTC')),
    notifications UInt32,
    evaluated_at DateTime64(6, 'UTC'),
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (rule, series_key);
