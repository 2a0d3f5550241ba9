-- The current generation of each (tenant, hour) of rollup_models, and the rollup generation
-- (rollup_generations.computed_at) it was computed after: an hour whose session rollups have a newer
-- generation than the one recorded here is due for a model rollup pass.
CREATE TABLE IF NOT EXISTS rollup_model_generations
(
    tenant LowCardinality(String),
    hour DateTime('UTC'),
    computed_at DateTime64(6, 'UTC'),
    rollup_generation DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (tenant, hour);
