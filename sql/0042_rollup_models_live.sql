-- Model-call rollups as readers see them: rows of their hour's current generation (rollup_model_generations).
CREATE VIEW IF NOT EXISTS rollup_models_live AS
SELECT r.*
FROM rollup_models AS r
INNER JOIN
(
    SELECT tenant, hour, max(computed_at) AS generation
    FROM rollup_model_generations
    GROUP BY tenant, hour
) AS g ON r.tenant = g.tenant AND toStartOfHour(r.bucket) = g.hour AND r.computed_at = g.generation;
