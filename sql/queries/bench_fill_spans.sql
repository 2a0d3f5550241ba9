-- Bench only (bench/jobs_bench.py): {sessions} synthetic agent sessions of {spans_per_session} spans each,
-- written straight into spans. Session s starts at {start} + (s - {first}) * {step_ms} ms with an
-- invoke_agent root (repeating no usage), then alternating model calls (one model of four unpriced) and
-- tool calls, one every 400 ms. 1 in 5 sessions has no session id (the trace id stands in); some roots
-- fail, hand off or name an outcome; some tool calls fail. Spans are ingested {ingest_delay_ms} ms after
-- their session starts but never before {ingested_floor}, so ingested_at follows start_time as in real traffic.
INSERT INTO spans (
    tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version, attributes, resource_attributes, events, context_inherited, ingested_at)
SELECT
    {tenant:String},
    trace_id,
    lower(hex(cityHash64(s, k, 7))),
    if(k = 0, '', lower(hex(cityHash64(s, 0, 7)))),
    concat(operation, ' ', multiIf(k = 0, agent, is_model, model, tool)),
    if(k = 0, 'INTERNAL', 'CLIENT'),
    span_start,
    span_start + toIntervalMillisecond(duration_ms),
    duration_ms * 1000000,
    multiIf(k = 0 AND s % 23 = 0, 'ERROR', NOT is_model AND k > 0 AND h % 50 = 0, 'ERROR', 'UNSET'),
    '',
    agent,
    version,
    if(s % 5 = 0, 'staging', 'production'),
    agent,
    version,
    operation,
    if(is_model, 'openai', ''),
    if(is_model, model, ''),
    if(is_model, model, ''),
    if(k > 0 AND NOT is_model, tool, ''),
    if(s % 5 = 4, trace_id, concat('sess-', toString(s))),
    concat('user-', toString(s % 5000)),
    if(is_model, 500 + h % 3000, 0) AS input_tokens,
    if(is_model, 50 + h % 500, 0) AS output_tokens,
    0, 0, 0,
    if(is_model AND model != 'local-llm', (input_tokens * 2.5 + output_tokens * 10) / 1e6, 0),
    multiIf(NOT is_model, 'none', model = 'local-llm', 'unpriced', 'computed'),
    'bench', '1.0',
    multiIf(k = 0 AND s % 31 = 0, map('gen_ai.operation.name', operation, 'spanledger.handoff', 'true'),
            k = 0 AND s % 37 = 0, map('gen_ai.operation.name', operation, 'spanledger.outcome', 'abandoned'),
            map('gen_ai.operation.name', operation)),
    map('service.name', agent),
    [],
    0,
    greatest(toDateTime64(session_start + toIntervalMillisecond({ingest_delay_ms:UInt32}), 3, 'UTC'), {ingested_floor:DateTime64(3)})
FROM
(
    SELECT
        {first:UInt64} + intDiv(number, {spans_per_session:UInt32}) AS s,
        number % {spans_per_session:UInt32} AS k,
        cityHash64(s, k) AS h,
        k > 0 AND k % 2 = 1 AS is_model,
        multiIf(k = 0, 'invoke_agent', is_model, 'chat', 'execute_tool') AS operation,
        lower(concat(hex(cityHash64(s, 1)), hex(cityHash64(s, 2)))) AS trace_id,
        concat('agent-', toString(s % {agents:UInt32})) AS agent,
        concat('v', toString(intDiv(s, 7) % 2 + 1)) AS version,
        ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'local-llm'][h % 4 + 1] AS model,
        ['search', 'fetch', 'calculator', 'sql'][intDiv(k, 2) % 4 + 1] AS tool,
        {start:DateTime64(3)} + toIntervalMillisecond((s - {first:UInt64}) * {step_ms:UInt32}) AS session_start,
        session_start + toIntervalMillisecond(k * 400) AS span_start,
        multiIf(k = 0, {spans_per_session:UInt32} * 400 + 200 + h % 3000, is_model, 300 + h % 2000, 20 + h % 500) AS duration_ms
    FROM numbers({sessions:UInt64} * {spans_per_session:UInt32})
)
