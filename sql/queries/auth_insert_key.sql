INSERT INTO api_keys (key_id, key_hash, tenant, role, name, created_at, revoked, updated_at)
VALUES ({key_id:String}, {key_hash:String}, {tenant:String}, {role:String}, {name:String}, {created_at:DateTime64(3)},
        {revoked:UInt8}, now64(6))
