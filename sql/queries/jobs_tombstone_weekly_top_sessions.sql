-- After the weekly review of {week} wrote its rows with version {computed_at}: ranks it no longer fills.
INSERT INTO weekly_top_sessions (tenant, week, agent_name, rank, computed_at, is_deleted)
SELECT tenant, week, agent_name, rank, {computed_at:DateTime64(6)}, 1
FROM weekly_top_sessions FINAL
WHERE week = {week:String} AND computed_at < {computed_at:DateTime64(6)}
