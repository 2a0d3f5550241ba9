-- The (tenant, hour) buckets a rollup pass recomputes after the session passes that wrote since
-- {since}: the hour each rewritten session (or tombstone) starts in, and the hour it started in before.
-- Versions in {rolled} (JSON array) are session passes whose hours this process has already rolled up.
SELECT DISTINCT tenant, toUnixTimestamp(toStartOfHour(arrayJoin([first_start, prev_first_start]))) AS hour
FROM sessions
WHERE computed_at >= {since:DateTime64(6)}
  AND NOT has(JSONExtract({rolled:String}, 'Array(DateTime64(6))'), computed_at)
ORDER BY tenant, hour
