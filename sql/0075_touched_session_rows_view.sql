-- The row `sessions` holds for each key a session pass touches (view touched_sessions), as FINAL gives it: in each
-- partition, the newest version unless it is a tombstone. Without FINAL, which merges every row of the table on every
-- pass: a 64-bit hash takes the touched keys' rows out of every part, and the newest version is taken by hand. A key
-- that collided with a touched one comes out too: the scan bounds then read further back, and the totals drop it with
-- a 128-bit hash (it would become a tombstone of a session whose spans lie outside the pass). With 30 M sessions
-- stored, the scan bounds took 2.2 s of CPU instead of 11.0-11.4 and the totals 7.2-7.9 s instead of 11.1-14.0; the
-- view still reads every row's key (README, Ingest performance). One definition for the scan bounds and the totals.
CREATE VIEW IF NOT EXISTS touched_session_rows AS
SELECT tenant, session_id, argMax(first_start, computed_at) AS stored_start
FROM sessions
PREWHERE cityHash64(tenant, session_id) IN
    (SELECT cityHash64(tenant, session_id)
     FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                           start_to = {start_to:DateTime64(9)}))
GROUP BY tenant, session_id, toDate(first_start)  -- the partition key of sessions
HAVING argMax(is_deleted, computed_at) = 0;
