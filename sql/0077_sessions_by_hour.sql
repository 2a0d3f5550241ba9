-- sessions sorted by the hour of their start within a day, not by id: the rollups read an hour's sessions
-- (sql/queries/jobs_rollup_sessions.sql, the call rollups' dirty minutes) and the dashboards a range of them, and
-- with the day's parts merged, a day sorted by id made each of those reads cover every row of the day so far. With
-- 10 M sessions in a day, an hour's read took 0.45-0.54 s of CPU sorted by id and 0.22-0.27 s by hour, most of it
-- the hour's 514,285 rows themselves (README, Ingest performance). The key is a session's row: when a late span moves its
-- start to another hour, the pass writes a tombstone under the hour it left (jobs/session_rules.py), as it does for
-- a day. A session looked up by id goes through the bloom filter on session_id. The table is rebuilt from what FINAL
-- shows (an older version under another hour would otherwise come back to life): a copy, then a swap; the views on it
-- find it by name. A copy left by a run that stopped part way is dropped first, so running this again finishes it.
DROP TABLE IF EXISTS sessions_by_hour;

CREATE TABLE sessions_by_hour AS sessions
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
PARTITION BY toDate(first_start)
ORDER BY (tenant, toStartOfHour(first_start), session_id);

ALTER TABLE sessions_by_hour ADD INDEX IF NOT EXISTS idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1;

INSERT INTO sessions_by_hour SELECT * FROM sessions FINAL SETTINGS do_not_merge_across_partitions_select_final = 1;

EXCHANGE TABLES sessions AND sessions_by_hour;

DROP TABLE sessions_by_hour;

CREATE OR REPLACE VIEW touched_session_rows AS
SELECT tenant, session_id, argMax(first_start, computed_at) AS stored_start
FROM sessions
PREWHERE cityHash64(tenant, session_id) IN
    (SELECT cityHash64(tenant, session_id)
     FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                           start_to = {start_to:DateTime64(9)}))
GROUP BY tenant, session_id, toStartOfHour(first_start)  -- the hour in the key of sessions (sql/0077_sessions_by_hour.sql)
HAVING argMax(is_deleted, computed_at) = 0;
