-- One row per session (jobs/sessions.py): its context from the root span, its counts, tokens, cost
-- and outcome. The per-session values are what exact session percentiles over any range come from.
-- Keyed by (tenant, session_id): a session's agent and version can change when late context arrives,
-- so they cannot be in the key of a row that must be replaced. A newer computed_at replaces a row;
-- is_deleted = 1 is a tombstone (read with FINAL). Partitioned by start day so the rollups read only the
-- days they recompute; when a late span moves a session's start to another day, the job writes a
-- tombstone into the day it left. prev_first_start is the start of the version a row replaced, so the
-- rollups also revisit the hour the session left.
CREATE TABLE IF NOT EXISTS sessions
(
    tenant LowCardinality(String),
    session_id String,
    agent_name LowCardinality(String),
    agent_version LowCardinality(String),
    environment LowCardinality(String),
    segment LowCardinality(String),
    user_id String,
    root_span_id String,
    first_start DateTime64(9, 'UTC'),
    last_end DateTime64(9, 'UTC'),
    duration_ns UInt64,
    traces UInt32,
    spans UInt32,
    model_calls UInt32,
    tool_calls UInt32,
    error_spans UInt32,
    handoffs UInt32,
    input_tokens UInt64,
    output_tokens UInt64,
    cache_read_tokens UInt64,
    cache_write_tokens UInt64,
    reasoning_tokens UInt64,
    cost_usd Float64,
    unpriced_spans UInt32,
    agent_usage_counted UInt8,
    finished UInt8,
    outcome LowCardinality(String),
    prev_first_start DateTime64(9, 'UTC'),
    computed_at DateTime64(6, 'UTC'),
    is_deleted UInt8,
    INDEX idx_computed_at computed_at TYPE minmax GRANULARITY 1,
    INDEX idx_agent_name agent_name TYPE set(256) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
PARTITION BY toDate(first_start)
ORDER BY (tenant, session_id);
