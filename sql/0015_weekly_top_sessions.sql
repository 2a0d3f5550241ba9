-- The weekly review (jobs/weekly_review.py): the most expensive sessions of an ISO week per tenant
-- (agent_name = '') and per agent, kept as reported so any past week can be read again. model_mix and
-- top_spans are JSON arrays. Re-running a week replaces its rows; ranks it no longer fills get tombstones.
CREATE TABLE IF NOT EXISTS weekly_top_sessions
(
    tenant LowCardinality(String),
    week LowCardinality(String),
    agent_name LowCardinality(String),
    rank UInt16,
    session_id String,
    session_agent LowCardinality(String),
    agent_version LowCardinality(String),
    environment LowCardinality(String),
    user_id String,
    outcome LowCardinality(String),
    first_start DateTime64(9, 'UTC'),
    duration_ns UInt64,
    cost_usd Float64,
    input_tokens UInt64,
    output_tokens UInt64,
    cache_read_tokens UInt64,
    cache_write_tokens UInt64,
    reasoning_tokens UInt64,
    spans UInt32,
    steps UInt32,
    model_calls UInt32,
    tool_calls UInt32,
    unpriced_spans UInt32,
    model_mix String,
    top_spans String,
    computed_at DateTime64(6, 'UTC'),
    is_deleted UInt8
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (tenant, week, agent_name, rank);
