-- Per trace: the context its spans name explicitly (session, user, agent name and version), and when
-- some of its spans were last stored without that context (a gap the context repair closes).
-- A value from the root span wins over one from any other span (the tuple's first element ranks it:
-- 2 root, 1 other span, 0 none). Written once per batch by sql/queries/insert_trace_context.sql.
CREATE TABLE IF NOT EXISTS trace_context
(
    tenant LowCardinality(String),
    trace_id String,
    session SimpleAggregateFunction(max, Tuple(UInt8, String)),
    user SimpleAggregateFunction(max, Tuple(UInt8, String)),
    agent SimpleAggregateFunction(max, Tuple(UInt8, String)),
    agent_version SimpleAggregateFunction(max, Tuple(UInt8, String)),
    first_start SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    gap_noted SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, trace_id)
TTL toDateTime(last_seen) + INTERVAL 30 DAY;
