SELECT username, password_hash, role, tenant, created_at, deleted
FROM users FINAL
ORDER BY username
