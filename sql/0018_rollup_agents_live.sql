-- Session rollups as readers see them: rows of their hour's current generation (rollup_generations).
-- No FINAL needed: the generation picks one version of each key.
CREATE VIEW IF NOT EXISTS rollup_agents_live AS
SELECT r.*
FROM rollup_agents AS r
INNER JOIN
(
    SELECT tenant, hour, max(computed_at) AS generation
    FROM rollup_generations
    GROUP BY tenant, hour
) AS g ON r.tenant = g.tenant AND toStartOfHour(r.bucket) = g.hour AND r.computed_at = g.generation;
