-- Session rollups (jobs/rollups.py) per (tenant, agent, grain '1m' | '1h', bucket, version, environment,
-- user segment). A session counts in the bucket where it started, with all its figures. Counts and sums
-- add across buckets; the percentiles are this bucket's own (exact, nearest rank) and are never averaged:
-- over longer ranges they are recomputed from the per-session values in `sessions`. Rates are over
-- finished sessions; spend and tokens include sessions still running. The budget columns carry the
-- agent's budgets (budgets_file) as they were when the row was computed. Read through the view
-- rollup_agents_live: only rows of their hour's current generation (rollup_generations) count.
CREATE TABLE IF NOT EXISTS rollup_agents
(
    tenant LowCardinality(String),
    agent_name LowCardinality(String),
    grain LowCardinality(String),
    bucket DateTime('UTC'),
    agent_version LowCardinality(String),
    environment LowCardinality(String),
    segment LowCardinality(String),
    sessions UInt64,
    finished UInt64,
    running UInt64,
    resolved UInt64,
    escalated UInt64,
    failed UInt64,
    abandoned UInt64,
    success_rate Nullable(Float64),
    error_rate Nullable(Float64),
    handoff_rate Nullable(Float64),
    session_ms_p50 Nullable(Float64),
    session_ms_p95 Nullable(Float64),
    session_ms_p99 Nullable(Float64),
    cost_finished_usd Float64,
    cost_mean Nullable(Float64),
    cost_p50 Nullable(Float64),
    cost_p95 Nullable(Float64),
    cost_p99 Nullable(Float64),
    cost_max Nullable(Float64),
    spend_usd Float64,
    spans UInt64,
    model_calls UInt64,
    tool_calls UInt64,
    error_spans UInt64,
    unpriced_spans UInt64,
    input_tokens UInt64,
    output_tokens UInt64,
    cache_read_tokens UInt64,
    cache_write_tokens UInt64,
    reasoning_tokens UInt64,
    budget_cost_p95_usd Nullable(Float64),
    budget_daily_spend_usd Nullable(Float64),
    computed_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant, agent_name, grain, bucket, agent_version, environment, segment);
