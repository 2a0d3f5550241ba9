-- Every tenant with session rollups: the options of the tenant filter.
SELECT DISTINCT tenant FROM rollup_generations ORDER BY tenant
