-- The current generation of each (tenant, hour) of the rollups: a rollup pass writes all rows of an hour
-- (both grains) with its start time as computed_at, then records that time here. Readers take only rows
-- of an hour's current generation, so they never see an hour half rewritten, and a key the newest pass
-- no longer produced (a session moved to another hour, or its agent was repaired) simply stops counting.
CREATE TABLE IF NOT EXISTS rollup_generations
(
    tenant LowCardinality(String),
    hour DateTime('UTC'),
    computed_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (tenant, hour);
