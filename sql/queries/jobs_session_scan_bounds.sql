-- How far back a session pass must read spans: every span of a touched session starts at or after the
-- earliest touched span or the start `sessions` already knows for it. NULLs when nothing was touched.
-- Keys are matched by a 64-bit hash (a third of the cost of the strings): a collision can only read further back.
SELECT
    (SELECT minOrNull(start_time)
     FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                           start_to = {start_to:DateTime64(9)})) AS touched_from,
    (SELECT minOrNull(first_start)
     FROM sessions FINAL
     WHERE cityHash64(tenant, session_id) IN
        (SELECT cityHash64(tenant, session_id)
         FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                               start_to = {start_to:DateTime64(9)}))) AS known_from
