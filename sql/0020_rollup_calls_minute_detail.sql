-- The call rollups keep one row per hour and no 1-minute rows. At 1-minute grain they were almost a copy of the
-- calls (2.5 calls per row on the 10 M-span bench store) and most of a full recompute's time. Instead, each hour
-- row of one kind and name (model calls; tool calls per tool, not the all-tools row) carries its calls as three
-- arrays in (minute, duration) order: minutes (the minute of the hour its session started in), durations_ns
-- and failures (1 for an ERROR call). Readers take whole hours from the rows' totals and histograms and the
-- minutes of a partial hour from the arrays, so any range is exact to the minute
-- (sql/queries/metrics_rollup_calls.sql, ui_tool_calls.sql, alerts_call_errors.sql).
-- Sorted by hour before agent, in granules of 1,024 rows: the partial hours at a range's ends are a few granules
-- whatever the agents, and their arrays are all that is read of them. grain is always '1h'.
CREATE TABLE IF NOT EXISTS rollup_calls_hourly
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
    minutes Array(UInt8) CODEC(ZSTD(1)),
    durations_ns Array(UInt64) CODEC(ZSTD(1)),
    failures Array(UInt8) CODEC(ZSTD(1)),
    computed_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant, grain, bucket, agent_name, agent_version, environment, segment, kind, name)
SETTINGS index_granularity = 1024;

DROP VIEW IF EXISTS rollup_calls_live;
RENAME TABLE rollup_calls TO rollup_calls_by_minute, rollup_calls_hourly TO rollup_calls;
DROP TABLE rollup_calls_by_minute;

CREATE VIEW rollup_calls_live AS
SELECT r.*
FROM rollup_calls AS r
INNER JOIN
(
    SELECT tenant, hour, max(computed_at) AS generation
    FROM rollup_generations
    GROUP BY tenant, hour
) AS g ON r.tenant = g.tenant AND toStartOfHour(r.bucket) = g.hour AND r.computed_at = g.generation;

-- The latency histogram's key of a duration d (ns): 0 for d = 0, else 1 + ceil(ln d / ln gamma) (jobs/percentiles.py).
CREATE FUNCTION IF NOT EXISTS sl_latency_key AS (d, gamma) -> toUInt16(if(d = 0, 0, 1 + ceil(log(d) / log(gamma))));

-- The calls' rollups start empty: the next rollup pass recomputes every hour (no watermark: every hour with
-- sessions is dirty).
DELETE FROM job_watermarks WHERE job = 'rollups';
