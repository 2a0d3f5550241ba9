-- context_repair_traces for a context repair on a ClickHouse server: a temporary table of the loading session,
-- in place of sql/0072_context_repair_traces.sql's table, so instances sharing a server never see each other's runs.
CREATE TEMPORARY TABLE IF NOT EXISTS context_repair_traces
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
ENGINE = Memory
