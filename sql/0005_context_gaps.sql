-- Traces some of whose spans were stored with fallback context: their export request named no session,
-- user, agent or agent version for them (children often end, and are exported, before the root that
-- names these). Fed by the view below on every insert into spans; read by the context repair, which
-- revisits a trace when a span naming context arrives for it ("touched") and rewrites the fallbacks.
CREATE TABLE IF NOT EXISTS context_gaps
(
    tenant LowCardinality(String),
    trace_id String,
    first_start SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    gap_noted SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    touched SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, trace_id)
TTL toDateTime(touched) + INTERVAL 2 DAY;

-- Cheap on the insert path: it only looks at spans with a fallback, and at spans naming context for a
-- trace that already has a gap (a small set).
CREATE MATERIALIZED VIEW IF NOT EXISTS context_gaps_from_spans TO context_gaps AS
SELECT
    tenant,
    trace_id,
    min(start_time) AS first_start,
    if(max(context_fallback) != 0, now64(3), toDateTime64(0, 3, 'UTC')) AS gap_noted,
    now64(3) AS touched
FROM spans
WHERE context_fallback != 0
   OR (context_inherited != 15 AND trace_id IN (SELECT trace_id FROM context_gaps WHERE gap_noted > now64(3) - INTERVAL 2 DAY))
GROUP BY tenant, trace_id;
