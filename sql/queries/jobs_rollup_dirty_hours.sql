-- The (tenant, hour) buckets a rollup pass recomputes after the session passes that wrote since
-- {since}: the hour each rewritten session (or tombstone) starts in, and the hour it started in before.
-- Versions in {rolled} (JSON array) are session passes whose hours this process has already rolled up.
-- minutes: the minutes of the hour those sessions start (or started) in, the only ones whose calls can have
-- changed since the hour's current generation (rolled_before) was written (jobs/rollups.py).
SELECT tenant, toUnixTimestamp(hour) AS hour, arraySort(groupUniqArray(toUInt8(toMinute(moment)))) AS minutes,
       (tenant, hour) IN (SELECT tenant, hour FROM rollup_generations) AS rolled_before
FROM
(
    SELECT tenant, arrayJoin([first_start, prev_first_start]) AS moment, toStartOfHour(moment) AS hour
    FROM sessions
    WHERE computed_at >= {since:DateTime64(6)}
      AND NOT has(JSONExtract({rolled:String}, 'Array(DateTime64(6))'), computed_at)
)
GROUP BY tenant, hour
ORDER BY tenant, hour
