-- The (tenant, hour) buckets of [{since}, {until}) that have sessions or a rollup generation (an hour
-- whose sessions all went elsewhere needs a new, empty one): what a rollup backfill recomputes.
SELECT DISTINCT tenant, toUnixTimestamp(toStartOfHour(first_start)) AS hour
FROM sessions
WHERE first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
UNION DISTINCT
SELECT DISTINCT tenant, toUnixTimestamp(hour) AS hour
FROM rollup_generations
WHERE hour >= toStartOfHour({since:DateTime64(9)}) AND hour < {until:DateTime64(9)}
ORDER BY tenant, hour
