-- Traces in which more than one agent names itself (an OpenAI Agents SDK run that hands off from triage to a
-- specialist) are marked, so that the context repair can give each of their spans its nearest agent ancestor
-- (sql/queries/repair_span_agents.sql) instead of the one agent its trace is summed up by.
-- min_agent: the smallest agent name a span of the trace names itself; '\xFF' (greater than any UTF-8 text) when
-- none does. The trace holds two agents or more when it is smaller than any_agent, the largest.
ALTER TABLE trace_context ADD COLUMN IF NOT EXISTS min_agent SimpleAggregateFunction(min, LowCardinality(String)) DEFAULT '\xFF' AFTER any_agent;

-- What a context repair run does with each trace it took: give spans their session (session_gap), their nearest
-- agent ancestor (multi_agent), or both.
ALTER TABLE context_repair_traces ADD COLUMN IF NOT EXISTS session_gap UInt8 DEFAULT 1;
ALTER TABLE context_repair_traces ADD COLUMN IF NOT EXISTS multi_agent UInt8 DEFAULT 0;

-- The view of sql/0059_trace_context.sql with min_agent. Versions a repair wrote (context_fallback 64 and up: the
-- agent repair sets 64, the session repair 128) tell nothing new about their trace.
DROP VIEW IF EXISTS trace_context_from_spans;

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
    min(if(bitTest(context_inherited, 2), '\xFF', agent_name)) AS min_agent,
    max(if(bitTest(context_inherited, 3) OR parent_span_id != '', '', agent_version)) AS root_agent_version,
    max(if(bitTest(context_inherited, 3), '', agent_version)) AS any_agent_version,
    -- a trace none of whose spans here inherit leaves the range as it was (min of the far future, max of 1970)
    if(countIf(context_inherited != 0) = 0, toDateTime64('2262-01-01 00:00:00', 9, 'UTC'), minIf(start_time, context_inherited != 0)) AS inheriting_from,
    maxIf(start_time, context_inherited != 0) AS inheriting_to,
    if(max(context_fallback) != 0, now64(3), toDateTime64(0, 3, 'UTC')) AS gap_noted,
    now64(3) AS touched
FROM spans
WHERE context_fallback < 64  -- not a version a repair wrote
GROUP BY tenant, trace_id;
