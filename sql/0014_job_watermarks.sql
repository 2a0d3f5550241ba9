-- How far each incremental job got: sessions by spans.ingested_at, rollups by sessions.computed_at
-- (both on the ClickHouse clock). The newest row per job wins.
CREATE TABLE IF NOT EXISTS job_watermarks
(
    job LowCardinality(String),
    watermark DateTime64(6, 'UTC'),
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY job;
