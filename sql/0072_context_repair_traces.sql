-- The traces one context repair run rewrites, with what each names (sql/queries/repair_context_traces.sql), so
-- the rewrite reads them from here; as a subquery repeated where the rewrite needs it, they were aggregated from
-- trace_context once per use. Memory engine: a run fills and clears it. On a ClickHouse server, a temporary
-- table of the loading session takes its place (sql/queries/create_session_repair_traces.sql).
CREATE TABLE IF NOT EXISTS context_repair_traces
(
    tenant LowCardinality(String),
    trace_id String,
    session String,
    user String,
    agent LowCardinality(String),
    agent_version LowCardinality(String),
    rewrite_from DateTime64(9, 'UTC'),
    rewrite_to DateTime64(9, 'UTC')
)
ENGINE = Memory;
