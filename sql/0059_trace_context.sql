-- What each trace names (session, user, agent, agent version; a root's value wins over another span's) and
-- where its spans that inherit context lie in time, for the context repair (sql/queries/repair_span_context.sql).
-- It replaces context_gaps: the repair read each noted trace's spans over a day (FINAL, every column) to learn
-- what the trace names, and the view that noted gaps looked up every noted trace on every load, so both grew
-- with the table. Now the repair reads this table, one row per trace, and only the stretch of time in which
-- the spans it rewrites started (spans are sorted by time, 0058).
CREATE TABLE IF NOT EXISTS trace_context
(
    tenant LowCardinality(String),
    trace_id String,
    -- what its root names itself, and the largest value any of its spans names itself: the root's wins
    -- (max over a tuple of priority and value cost 1.3 µs a span at every load, two string maxes 0.5)
    root_session SimpleAggregateFunction(max, String),
    any_session SimpleAggregateFunction(max, String),
    root_user SimpleAggregateFunction(max, String),
    any_user SimpleAggregateFunction(max, String),
    root_agent SimpleAggregateFunction(max, LowCardinality(String)),
    any_agent SimpleAggregateFunction(max, LowCardinality(String)),
    root_agent_version SimpleAggregateFunction(max, LowCardinality(String)),
    any_agent_version SimpleAggregateFunction(max, LowCardinality(String)),
    -- the first and last start of its spans that took some context from the trace
    inheriting_from SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    inheriting_to SimpleAggregateFunction(max, DateTime64(9, 'UTC')),
    -- when a span of it was last stored with a fallback (its trace id as session, its service as agent)
    gap_noted SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    touched SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    -- merged parts hold only old touches: a run reads the recent parts to find what changed
    INDEX idx_touched touched TYPE minmax GRANULARITY 1
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, trace_id)
TTL toDateTime(touched) + INTERVAL 2 DAY;

DROP VIEW IF EXISTS context_gaps_from_spans;
DROP TABLE IF EXISTS context_gaps;

CREATE MATERIALIZED VIEW IF NOT EXISTS trace_context_from_spans TO trace_context AS
SELECT
    tenant,
    trace_id,
    max(if(bitTest(context_inherited, 0) OR parent_span_id != '', '', session_id)) AS root_session,
    max(if(bitTest(context_inherited, 0), '', session_id)) AS any_session,
    max(if(bitTest(context_inherited, 1) OR parent_span_id != '', '', user_id)) AS root_user,
    max(if(bitTest(context_inherited, 1), '', user_id)) AS any_user,
    max(if(bitTest(context_inherited, 2) OR parent_span_id != '', '', agent_name)) AS root_agent,
    max(if(bitTest(context_inherited, 2), '', agent_name)) AS any_agent,
    max(if(bitTest(context_inherited, 3) OR parent_span_id != '', '', agent_version)) AS root_agent_version,
    max(if(bitTest(context_inherited, 3), '', agent_version)) AS any_agent_version,
    -- a trace none of whose spans here inherit leaves the range as it was (min of the far future, max of 1970)
    if(countIf(context_inherited != 0) = 0, toDateTime64('2262-01-01 00:00:00', 9, 'UTC'), minIf(start_time, context_inherited != 0)) AS inheriting_from,
    maxIf(start_time, context_inherited != 0) AS inheriting_to,
    if(max(context_fallback) != 0, now64(3), toDateTime64(0, 3, 'UTC')) AS gap_noted,
    now64(3) AS touched
FROM spans
WHERE NOT bitTest(context_fallback, 7)  -- a version the context repair wrote: nothing new about its trace
GROUP BY tenant, trace_id;

-- What the spans stored before this migration name, so that their gaps are still repaired.
INSERT INTO trace_context
SELECT
    tenant,
    trace_id,
    max(if(bitTest(context_inherited, 0) OR parent_span_id != '', '', session_id)),
    max(if(bitTest(context_inherited, 0), '', session_id)),
    max(if(bitTest(context_inherited, 1) OR parent_span_id != '', '', user_id)),
    max(if(bitTest(context_inherited, 1), '', user_id)),
    max(if(bitTest(context_inherited, 2) OR parent_span_id != '', '', agent_name)),
    max(if(bitTest(context_inherited, 2), '', agent_name)),
    max(if(bitTest(context_inherited, 3) OR parent_span_id != '', '', agent_version)),
    max(if(bitTest(context_inherited, 3), '', agent_version)),
    if(countIf(context_inherited != 0) = 0, toDateTime64('2262-01-01 00:00:00', 9, 'UTC'), minIf(start_time, context_inherited != 0)),
    maxIf(start_time, context_inherited != 0),
    if(max(context_fallback) != 0, now64(3), toDateTime64(0, 3, 'UTC')),
    now64(3)
FROM spans
WHERE ingested_at >= now64(3) - INTERVAL 2 DAY
GROUP BY tenant, trace_id;
