-- Late context: spans stored with a fallback session, user or agent get a newer row version with the
-- context their trace names (ReplacingMergeTree keeps the newest). Only traces with a gap noted within the
-- window and a span stored since {since} are looked at; what they name comes from trace_context (0059), and
-- only their inheriting spans' stretch of time is read from spans, so the cost follows the repairs, not the
-- size of the table. A trace's context is what its spans name themselves; the root's value wins over others'.
INSERT INTO spans (
    tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version, attributes, resource_attributes, events,
    context_inherited, context_fallback, ingested_at)
WITH
    touched AS
    (
        SELECT DISTINCT tenant, trace_id FROM trace_context WHERE touched >= {since:DateTime64(3)}
    ),
    named AS
    (
        SELECT tenant, trace_id,
            if(max(root_session) != '', max(root_session), max(any_session)) AS session,
            if(max(root_user) != '', max(root_user), max(any_user)) AS user,
            if(max(root_agent) != '', max(root_agent), max(any_agent)) AS agent,
            if(max(root_agent_version) != '', max(root_agent_version), max(any_agent_version)) AS agent_version,
            min(inheriting_from) AS rewrite_from, max(inheriting_to) AS rewrite_to
        FROM trace_context
        WHERE (tenant, trace_id) IN (SELECT tenant, trace_id FROM touched)
        GROUP BY tenant, trace_id
        HAVING max(gap_noted) >= {gaps_since:DateTime64(3)} AND rewrite_from <= rewrite_to
    ),
    -- Only the stretch of time in which the spans to rewrite started (spans are sorted by start time).
    trace_spans AS
    (
        SELECT * FROM spans FINAL
        WHERE start_time >= (SELECT min(rewrite_from) FROM named) AND start_time <= (SELECT max(rewrite_to) FROM named)
          AND trace_id IN (SELECT trace_id FROM named) AND context_inherited != 0
    )
SELECT
    s.tenant, s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.start_time, s.end_time, s.duration_ns,
    s.status_code, s.status_message, s.service_name, s.service_version, s.environment,
    if(bitTest(s.context_inherited, 2) AND c.agent != '', c.agent, s.agent_name),
    if(bitTest(s.context_inherited, 3) AND c.agent_version != '', c.agent_version, s.agent_version),
    s.operation, s.provider, s.request_model, s.response_model, s.tool_name,
    if(bitTest(s.context_inherited, 0) AND c.session != '', c.session, s.session_id),
    if(bitTest(s.context_inherited, 1) AND c.user != '', c.user, s.user_id),
    s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_write_tokens, s.reasoning_tokens,
    s.cost_usd, s.cost_source, s.scope_name, s.scope_version, s.attributes, s.resource_attributes, s.events,
    s.context_inherited,
    -- what is still a fallback, and 128: a version the repair wrote (trace_context_from_spans leaves it out,
    -- so the rewrite does not make its trace look changed to the next run)
    toUInt8(128 + (bitTest(s.context_fallback, 0) AND c.session = '') + 2 * (bitTest(s.context_fallback, 1) AND c.user = '')
            + 4 * (bitTest(s.context_fallback, 2) AND c.agent = '') + 8 * (bitTest(s.context_fallback, 3) AND c.agent_version = '')),
    now64(3)
FROM trace_spans AS s
INNER JOIN named AS c ON s.tenant = c.tenant AND s.trace_id = c.trace_id
WHERE ((bitTest(s.context_inherited, 0) AND c.session != '' AND c.session != s.session_id)
    OR (bitTest(s.context_inherited, 1) AND c.user != '' AND c.user != s.user_id)
    OR (bitTest(s.context_inherited, 2) AND c.agent != '' AND c.agent != s.agent_name)
    OR (bitTest(s.context_inherited, 3) AND c.agent_version != '' AND c.agent_version != s.agent_version))
-- Versions are not collapsed at insert, as in a load (sql/queries/move_staged_spans.sql): 3 µs less per rewritten span.
SETTINGS optimize_on_insert = 0
