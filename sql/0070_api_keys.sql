-- API keys: a key's SHA-256, never the key itself, with the tenant and role it grants. A revocation is a
-- newer row of the same key_id with revoked = 1; the newest row per key wins.
CREATE TABLE IF NOT EXISTS api_keys
(
    key_id String,
    key_hash String,
    tenant LowCardinality(String),
    role LowCardinality(String),
    name String,
    created_at DateTime64(3, 'UTC'),
    revoked UInt8,
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key_id;
