-- The ClickHouse clock: watermarks and versions compare with ingested_at and computed_at, which it sets.
SELECT now64(6, 'UTC') AS now
