-- Model-call rollups for the cost dashboard (dashboards/model_rollup.py) per (tenant, agent, grain '1m' |
-- '1h', bucket, version, environment, model): calls, errors, tokens, cost and calls whose model has no
-- price. Like every rollup, a call counts in the bucket its session started in, so these sums add up to
-- the session spend in rollup_agents (less usage on non-model spans). model is the request model, else the
-- response model. Read through the view rollup_models_live: only rows of their hour's current generation.
CREATE TABLE IF NOT EXISTS rollup_models
(
    tenant LowCardinality(String),
    agent_name LowCardinality(String),
    grain LowCardinality(String),
    bucket DateTime('UTC'),
    agent_version LowCardinality(String),
    environment LowCardinality(String),
    model LowCardinality(String),
    calls UInt64,
    errors UInt64,
    input_tokens UInt64,
    output_tokens UInt64,
    cost_usd Float64,
    unpriced_calls UInt64,
    computed_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant, agent_name, grain, bucket, agent_version, environment, model);
