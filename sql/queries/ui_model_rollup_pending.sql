-- The (tenant, hour)s whose session rollups have a newer generation than their model rollups were
-- computed after (or none yet), with that rollup generation and the one they were computed after (covered;
-- 1970 when none): the work of the next model rollup pass.
SELECT r.tenant AS tenant, toUnixTimestamp(r.hour) AS hour, r.generation AS rollup_generation, m.covered AS covered
FROM
(
    SELECT tenant, hour, max(computed_at) AS generation
    FROM rollup_generations
    GROUP BY tenant, hour
) AS r
LEFT JOIN
(
    SELECT tenant, hour, max(rollup_generation) AS covered
    FROM rollup_model_generations
    GROUP BY tenant, hour
) AS m ON r.tenant = m.tenant AND r.hour = m.hour
WHERE m.covered < r.generation
ORDER BY r.hour, r.tenant
SETTINGS join_use_nulls = 0
