-- Traces of several agents (context_repair_traces.multi_agent, sql/queries/repair_span_context.sql's traces): a span
-- takes the agent of its nearest ancestor-or-self that names one, not the one agent its trace is summed up by, and
-- that span's version, else its service's (the trace's version may be another agent's). In an OpenAI Agents SDK run
-- that hands off from triage to a specialist, triage's model calls are triage's. A span with no such ancestor up to
-- its root (the workflow's root) takes the entry agent's, as its session does; what a span names itself is never changed.
-- Spans end, and are exported, before their parents, so the move cannot know the ancestor yet: this runs after
-- the session repair of the same run, on the newest version of each span, and writes a version (64) only where
-- something changes. Ancestors start before their spans: an hour before the first span that inherited is read.
-- Whole rows are read for the spans that change alone: in traffic of multi-agent traces, every trace is walked.
INSERT INTO spans (
    tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version, attributes, resource_attributes, events,
    context_inherited, context_fallback, ingested_at)
WITH
    bounds AS (SELECT min(rewrite_from) - INTERVAL 1 HOUR AS lo, max(rewrite_to) AS hi FROM context_repair_traces WHERE multi_agent),
    -- The newest version of each span of those traces, the columns the walk needs: whole rows are read only for the
    -- spans that change (the end).
    latest AS
    (
        SELECT tenant, trace_id, span_id, parent_span_id, agent_name, agent_version, service_version, context_inherited,
               start_time, ingested_at
        FROM spans
        PREWHERE start_time >= (SELECT lo FROM bounds) AND start_time <= (SELECT hi FROM bounds)
             AND trace_id IN (SELECT trace_id FROM context_repair_traces WHERE multi_agent)
        ORDER BY ingested_at DESC
        LIMIT 1 BY tenant, trace_id, span_id
    ),
    -- Per trace: for each span, the position of its nearest ancestor-or-self that names an agent itself, found by
    -- walking up its parents' positions (up) at most 64 steps (the walk's state: position, and 1 found, 2 a parent not
    -- stored); for a span with none up to its root (a workflow's root), the entry agent's span: the first to name an
    -- agent itself, as for the session (sql/queries/jobs_session_totals.sql). A walk that reaches a parent not stored
    -- (yet, or ever: Logfire leaves some out) proves nothing: the span keeps what it holds. Finding the parents costs
    -- the square of a trace's spans: a trace of more than {max_spans} spans (SPANLEDGER_CONTEXT_REPAIR_AGENT_MAX_SPANS)
    -- keeps its trace's agent.
    nearest AS
    (
        SELECT tenant, trace_id, span_id, multiIf(found.2 = 1, found.1, found.2 = 0 AND found.1 = 0, indexOf(ids, entry), 0) AS at,
               own[at] AS agent, own_version[at] AS agent_version
        FROM
        (
            SELECT tenant, trace_id, ids, own, own_version, entry,
                   arrayMap(i -> arrayFold((at, step) -> if(at.2 != 0 OR at.1 = 0, at,
                                                             (up[at.1], toUInt8(multiIf(up[at.1] = 0, if(parents[at.1] != '', 2, 0),
                                                                                        own[up[at.1]] != '', 1, 0)))),
                                           range(64), (toUInt64(i), toUInt8(own[i] != ''))),
                            arrayEnumerate(ids)) AS walks
            FROM
            (
                SELECT *, arrayMap(p -> indexOf(ids, p), parents) AS up
                FROM
                (
                    SELECT tenant, trace_id, groupArray(span_id) AS ids, groupArray(parent_span_id) AS parents,
                           groupArray(if(bitTest(context_inherited, 2), '', agent_name)) AS own,
                           groupArray(if(bitTest(context_inherited, 2) OR bitTest(context_inherited, 3), '', agent_version)) AS own_version,
                           argMinIf(span_id, start_time, NOT bitTest(context_inherited, 2)) AS entry
                    FROM latest
                    GROUP BY tenant, trace_id
                    HAVING count() <= {max_spans:UInt32}
                )
            )
        )
        ARRAY JOIN ids AS span_id, walks AS found
        WHERE at != 0
    ),
    -- The spans whose agent or version changes, with their new values.
    changes AS
    (
        SELECT l.tenant AS tenant, l.trace_id AS trace_id, l.span_id AS span_id, l.ingested_at AS ingested_at,
               if(bitTest(l.context_inherited, 2), n.agent, l.agent_name) AS agent,
               if(bitTest(l.context_inherited, 3), if(n.agent_version != '', n.agent_version, l.service_version), l.agent_version) AS agent_version,
               bitTest(l.context_inherited, 3) AND n.agent_version = '' AS version_fallback
        FROM latest AS l
        INNER JOIN nearest AS n ON l.tenant = n.tenant AND l.trace_id = n.trace_id AND l.span_id = n.span_id
        WHERE agent != l.agent_name OR agent_version != l.agent_version
    )
SELECT
    s.tenant, s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.start_time, s.end_time, s.duration_ns,
    s.status_code, s.status_message, s.service_name, s.service_version, s.environment,
    c.agent, c.agent_version,
    s.operation, s.provider, s.request_model, s.response_model, s.tool_name, s.session_id, s.user_id,
    s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_write_tokens, s.reasoning_tokens,
    s.cost_usd, s.cost_source, s.scope_name, s.scope_version, s.attributes, s.resource_attributes, s.events,
    s.context_inherited,
    -- what is still a fallback (the agent no longer; the version when neither the span nor that agent's span names
    -- one), 128 as it was, and 64: a version this wrote
    toUInt8(bitOr(bitAnd(s.context_fallback, 131), 64 + 8 * c.version_fallback)),
    now64(3)
FROM
(
    SELECT * FROM spans
    PREWHERE start_time >= (SELECT lo FROM bounds) AND start_time <= (SELECT hi FROM bounds)
         AND (tenant, trace_id, span_id, ingested_at) IN (SELECT tenant, trace_id, span_id, ingested_at FROM changes)
    LIMIT 1 BY tenant, trace_id, span_id
) AS s
INNER JOIN changes AS c ON s.tenant = c.tenant AND s.trace_id = c.trace_id AND s.span_id = c.span_id
SETTINGS optimize_on_insert = 0
