-- The tenants that have a stored weekly review of {week}.
SELECT DISTINCT tenant FROM weekly_top_sessions FINAL WHERE week = {week:String} AND is_deleted = 0 ORDER BY tenant
