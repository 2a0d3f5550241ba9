-- The start times the spans table holds: the range a full recompute covers.
SELECT minOrNull(start_time) AS first_start, maxOrNull(start_time) AS last_start FROM spans
