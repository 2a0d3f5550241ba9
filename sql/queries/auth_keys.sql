SELECT key_id, key_hash, tenant, role, name, created_at, revoked
FROM api_keys FINAL
ORDER BY created_at, key_id
