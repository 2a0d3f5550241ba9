-- Every state change of an alert series, in order: what the dashboards' firing history and
-- `spanledger alerts history` show. Append only.
CREATE TABLE IF NOT EXISTS alert_history
(
    rule LowCardinality(String),
    series_key String,
    tenant LowCardinality(String),
    agent_name LowCardinality(String),
    labels String,
    from_state LowCardinality(String),
    to_state LowCardinality(String),
    value Nullable(Float64),
    threshold Nullable(Float64),
    summary String,
    silenced UInt8,
    at DateTime64(6, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant, at, rule, series_key);
