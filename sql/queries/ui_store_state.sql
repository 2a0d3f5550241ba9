-- Whether {tenant} has any span and any session rollup yet: what the dashboards' empty state tells apart.
SELECT
    (SELECT count() FROM (SELECT 1 FROM spans WHERE tenant = {tenant:String} LIMIT 1)) AS has_spans,
    (SELECT count() FROM (SELECT 1 FROM rollup_generations WHERE tenant = {tenant:String} LIMIT 1)) AS has_rollups
