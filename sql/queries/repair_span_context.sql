-- Late sessions: a span stored with a fallback session (its trace id) because neither it nor the spans loaded
-- with it named one gets a newer row version with the session its trace named since (ReplacingMergeTree keeps
-- the newest), and with it the user and agent the trace names where the span took them from elsewhere. The
-- traces and what they name are in context_repair_traces (sql/queries/repair_context_traces.sql); only their
-- spans' stretch of time is read, so the cost follows the repairs, not the size of the table.
-- Only the session: the metrics group spans by session and take a session's user, agent and version from its
-- root (sql/queries/jobs_session_totals.sql). Rewriting every child whose user or agent came late rewrote
-- nearly every span of OTel GenAI traffic (README, Ingest performance).
INSERT INTO spans
WITH
    bounds AS (SELECT min(rewrite_from) AS lo, max(rewrite_to) AS hi FROM context_repair_traces),
    -- Not FINAL, which read every column of every version in that stretch: the spans still holding a fallback
    -- session, less those of which this repair already wrote a newer version (bit 128).
    fallback_spans AS
    (
        SELECT * FROM spans
        PREWHERE start_time >= (SELECT lo FROM bounds) AND start_time <= (SELECT hi FROM bounds)
             AND bitTest(context_fallback, 0) AND trace_id IN (SELECT trace_id FROM context_repair_traces)
    ),
    repaired AS
    (
        SELECT tenant, trace_id, span_id, max(ingested_at) AS repaired_at FROM spans
        PREWHERE start_time >= (SELECT lo FROM bounds) AND start_time <= (SELECT hi FROM bounds)
             AND bitTest(context_fallback, 7) AND trace_id IN (SELECT trace_id FROM context_repair_traces)
        GROUP BY tenant, trace_id, span_id
    ),
    trace_spans AS
    (
        SELECT f.* FROM fallback_spans AS f
        LEFT ANY JOIN repaired AS r ON f.tenant = r.tenant AND f.trace_id = r.trace_id AND f.span_id = r.span_id
        WHERE f.ingested_at > r.repaired_at
        LIMIT 1 BY f.tenant, f.trace_id, f.span_id
    )
-- Every column as stored but the context: the redactions too, which the load's counts already took in
-- (redaction_counts is fed from spans_load, not spans).
SELECT s.* REPLACE (
    -- in a trace of several agents, the next statement of the run gives each span its nearest agent ancestor's
    -- (sql/queries/repair_span_agents.sql)
    if(bitTest(s.context_inherited, 2) AND c.agent != '', c.agent, s.agent_name) AS agent_name,
    if(bitTest(s.context_inherited, 3) AND c.agent_version != '', c.agent_version, s.agent_version) AS agent_version,
    if(bitTest(s.context_inherited, 0) AND c.session != '', c.session, s.session_id) AS session_id,
    if(bitTest(s.context_inherited, 1) AND c.user != '', c.user, s.user_id) AS user_id,
    -- what is still a fallback, and 128: a version the repair wrote (trace_context_from_spans leaves it out,
    -- so the rewrite does not make its trace look changed to the next run)
    toUInt8(128 + (bitTest(s.context_fallback, 0) AND c.session = '') + 2 * (bitTest(s.context_fallback, 1) AND c.user = '')
            + 4 * (bitTest(s.context_fallback, 2) AND c.agent = '') + 8 * (bitTest(s.context_fallback, 3) AND c.agent_version = '')) AS context_fallback,
    now64(3) AS ingested_at)
FROM trace_spans AS s
INNER JOIN context_repair_traces AS c ON s.tenant = c.tenant AND s.trace_id = c.trace_id
WHERE c.session_gap AND c.session != s.session_id
-- Versions are not collapsed at insert, as in a load (sql/queries/move_staged_spans.sql): 3 µs less per rewritten span.
SETTINGS optimize_on_insert = 0
