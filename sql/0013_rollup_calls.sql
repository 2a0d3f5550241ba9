-- Call rollups (sql/queries/jobs_insert_rollup_calls.sql) per (tenant, agent, grain, bucket, version,
-- environment, segment, kind, name): kind 'model' or 'tool'; name '' for all calls of the kind, else the
-- tool's name (the tool distribution). Calls are attributed to the bucket their session started in, like
-- every other figure. ms_p50/95/99 are this bucket's exact nearest-rank latencies; latency_hist (log
-- buckets, jobs/percentiles.py) adds across buckets and gives percentiles over any range within 1%.
-- Read through the view rollup_calls_live: only rows of their hour's current generation count.
CREATE TABLE IF NOT EXISTS rollup_calls
(
    tenant LowCardinality(String),
    agent_name LowCardinality(String),
    grain LowCardinality(String),
    bucket DateTime('UTC'),
    agent_version LowCardinality(String),
    environment LowCardinality(String),
    segment LowCardinality(String),
    kind LowCardinality(String),
    name LowCardinality(String),
    calls UInt64,
    errors UInt64,
    duration_ns_sum UInt64,
    ms_p50 Float64,
    ms_p95 Float64,
    ms_p99 Float64,
    latency_hist Map(UInt16, UInt64),
    computed_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant, agent_name, grain, bucket, agent_version, environment, segment, kind, name);
