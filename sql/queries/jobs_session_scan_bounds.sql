-- How far back a session pass must read spans: every span of a touched session starts at or after the
-- earliest touched span or the start `sessions` already knows for it. NULLs when nothing was touched.
SELECT
    (SELECT minOrNull(start_time)
     FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                           start_to = {start_to:DateTime64(9)})) AS touched_from,
    (SELECT minOrNull(stored_start)
     FROM touched_session_rows(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                               start_to = {start_to:DateTime64(9)})) AS known_from
