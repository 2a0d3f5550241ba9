-- How far back a session pass must read spans: every span of a touched session starts at or after the
-- earliest touched span or the start `sessions` already knows for it. NULLs when nothing was touched.
-- Keys are matched by a 64-bit hash (a third of the cost of the strings): a collision can only read further back.
-- On 30 M sessions stored, 2.2 s of CPU against 11.0-11.4 with FINAL.
SELECT
    (SELECT minOrNull(start_time)
     FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                           start_to = {start_to:DateTime64(9)})) AS touched_from,
    (SELECT minOrNull(known_start)
     FROM
     (
         -- as FINAL gives the rows (in each partition, the newest version unless it is a tombstone), without merging
         -- every row of the table first (jobs_session_totals.sql, prev)
         SELECT argMax(first_start, computed_at) AS known_start
         FROM sessions
         PREWHERE cityHash64(tenant, session_id) IN
             (SELECT cityHash64(tenant, session_id)
              FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                                    start_to = {start_to:DateTime64(9)}))
         GROUP BY tenant, session_id, toDate(first_start)
         HAVING argMax(is_deleted, computed_at) = 0
     )) AS known_from
