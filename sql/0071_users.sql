-- Local users of the UI and API: an argon2 hash of the password (empty for users signed in by a trusted
-- proxy), a role and the tenant a viewer reads. A deletion is a newer row with deleted = 1.
CREATE TABLE IF NOT EXISTS users
(
    username String,
    password_hash String,
    role LowCardinality(String),
    tenant LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    deleted UInt8,
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY username;
