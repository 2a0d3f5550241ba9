-- Price lookup used by the insert: one row per lookup key (canonical model names and their aliases),
-- USD per million tokens. Rewritten at start from store/prices.csv and the user's override file.
CREATE TABLE IF NOT EXISTS model_prices
(
    key String,
    model String,
    provider LowCardinality(String),
    input Float64,
    cached_input Float64,
    cache_write Float64,
    output Float64,
    reasoning Float64,
    price_version String
)
ENGINE = MergeTree
ORDER BY key;
