-- Per trace, the context its spans name explicitly: session, user, agent name and version.
-- A value from the root span wins over one from any other span (the tuple's first element ranks it).
-- Fed from the insert path; read by the context repair and by the session jobs.
CREATE TABLE IF NOT EXISTS trace_context
(
    tenant LowCardinality(String),
    trace_id String,
    session SimpleAggregateFunction(max, Tuple(UInt8, String)),
    user SimpleAggregateFunction(max, Tuple(UInt8, String)),
    agent SimpleAggregateFunction(max, Tuple(UInt8, String)),
    agent_version SimpleAggregateFunction(max, Tuple(UInt8, String)),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, trace_id)
TTL toDateTime(last_seen) + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS trace_context_from_staging TO trace_context AS
SELECT
    tenant,
    trace_id,
    max(tuple(if(bitTest(context_inherited, 0), 0, 1 + (parent_span_id = '')), if(bitTest(context_inherited, 0), '', session_id))) AS session,
    max(tuple(if(bitTest(context_inherited, 1), 0, 1 + (parent_span_id = '')), if(bitTest(context_inherited, 1), '', user_id))) AS user,
    max(tuple(if(bitTest(context_inherited, 2), 0, 1 + (parent_span_id = '')), if(bitTest(context_inherited, 2), '', agent_name))) AS agent,
    max(tuple(if(bitTest(context_inherited, 3), 0, 1 + (parent_span_id = '')), if(bitTest(context_inherited, 3), '', agent_version))) AS agent_version,
    max(now64(3)) AS last_seen
FROM spans_staging
WHERE reject_reason = '' AND context_inherited != 15
GROUP BY tenant, trace_id;

-- Traces some of whose spans were stored with fallback context (the batch named no session or agent
-- for them). The context repair revisits exactly these when their trace_context changes.
CREATE TABLE IF NOT EXISTS context_gaps
(
    tenant LowCardinality(String),
    trace_id String,
    first_start DateTime64(9, 'UTC'),
    noted_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (noted_at, tenant, trace_id)
TTL toDateTime(noted_at) + INTERVAL 2 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS context_gaps_from_staging TO context_gaps AS
SELECT tenant, trace_id, min(start_time) AS first_start, now64(3) AS noted_at
FROM spans_staging
WHERE reject_reason = '' AND context_fallback != 0
GROUP BY tenant, trace_id;
