-- The session rollups keep only the 1-hour grain. At 1 minute they were about as many rows as the sessions
-- (2.4 sessions per row on the 10 M-span bench store), and `sessions` already holds each session's values:
-- figures of a partial hour are read from it (sql/queries/ui_session_minutes.sql, alerts_last_seen.sql,
-- metrics_rollup_budgets.sql).
DELETE FROM rollup_agents WHERE grain = '1m';
