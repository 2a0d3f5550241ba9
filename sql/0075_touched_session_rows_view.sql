-- The row `sessions` holds for each key a session pass touches (view touched_sessions), as FINAL gives it: in each
-- partition, the newest version unless it is a tombstone. Without FINAL, which merges every row of the table on every
-- pass: a 64-bit hash takes the touched keys' rows out of every part, the 128-bit one drops any other key that
-- collided with one (in the totals a collision would make a tombstone of a session whose spans lie outside the pass),
-- and the newest version is taken by hand. With 30 M sessions stored, the pass's scan bounds took 2.2 s of CPU instead
-- of 11.0-11.4 and its totals 7.2-7.9 s instead of 11.1-14.0; it still reads every row's key (README, Ingest
-- performance). A parameterized view so the scan bounds and the totals share one definition.
CREATE VIEW IF NOT EXISTS touched_session_rows AS
SELECT tenant, session_id, argMax(first_start, computed_at) AS stored_start
FROM sessions
PREWHERE cityHash64(tenant, session_id) IN
    (SELECT cityHash64(tenant, session_id)
     FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                           start_to = {start_to:DateTime64(9)}))
WHERE reinterpretAsUInt128(murmurHash3_128(tenant, session_id)) IN
    (SELECT reinterpretAsUInt128(murmurHash3_128(tenant, session_id))
     FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                           start_to = {start_to:DateTime64(9)}))
GROUP BY tenant, session_id, toDate(first_start)  -- the partition key of sessions
HAVING argMax(is_deleted, computed_at) = 0;
