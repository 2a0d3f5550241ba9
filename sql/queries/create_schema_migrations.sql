-- The migrator's own ledger; the one table that cannot be created by a numbered migration.
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY version
