INSERT INTO users (username, password_hash, role, tenant, created_at, deleted, updated_at)
VALUES ({username:String}, {password_hash:String}, {role:String}, {tenant:String}, {created_at:DateTime64(3)},
        {deleted:UInt8}, now64(6))
