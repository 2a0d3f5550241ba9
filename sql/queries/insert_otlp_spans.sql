-- Explode a batch of OTLP ExportTraceServiceRequest messages into typed span rows.
-- {source} is the batch: file(...) in embedded mode, input(...) in server mode, both in the
-- 'Protobuf' format with ingest/otlp_columns.proto; one source row is one request.
-- The attribute precedence table (README, "Attribute resolution") is the sl_pick*/sl_* key lists here
-- and in sql/0001_span_functions.sql. Invalid spans are left out (sl_span_problem) and reported
-- separately; the rest go into spans in one insert: {into} is spans_load (sql/0052_spans_load.sql), or
-- spans_stage when the store moves them on from there (store/store.py, load_otlp_batch).
-- Every stored string passes the redaction (sql/0050_redaction_functions.sql); the lookups of tokens,
-- models and cost read the values as sent. {redact_*} parameters: ingest/redaction.py.
INSERT INTO {into} (
    tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version, attributes, resource_attributes, events, context_inherited, context_fallback,
    redactions)
SELECT
    tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, sl_redact_text(status_message, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String}),
    service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name,
    sl_redact_text(session_id, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String}),
    sl_redact_text(user_id, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String}),
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version,
    sl_redact_map(kept_attributes, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String},
                  {redact_keep:Array(String)}, {redact_drop:Array(String)}) AS stored_attributes,
    kept_resource_attributes,
    arrayMap(e -> (e.1, e.2, sl_redact_map(e.3, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String},
                                         {redact_keep:Array(String)}, {redact_drop:Array(String)})), kept_events) AS stored_events,
    context_inherited, context_fallback,
    -- The masks this load put into the span, by detector: only values it changed are looked at.
    if(stored_attributes = kept_attributes AND stored_events = kept_events, map(),
       sl_redaction_counts(
           arrayStringConcat(arrayConcat(arrayFilter((n, o) -> n != o, mapValues(stored_attributes), mapValues(kept_attributes)),
               arrayFlatten(arrayMap((n, o) -> arrayFilter((nv, ov) -> nv != ov, mapValues(n.3), mapValues(o.3)), stored_events, kept_events))), '\n'),
           arrayStringConcat(arrayConcat(arrayFilter((o, n) -> n != o, mapValues(kept_attributes), mapValues(stored_attributes)),
               arrayFlatten(arrayMap((n, o) -> arrayFilter((ov, nv) -> nv != ov, mapValues(o.3), mapValues(n.3)), stored_events, kept_events))), '\n')))
FROM
(
SELECT
    {tenant:String} AS tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    multiIf(provided_cost IS NOT NULL, assumeNotNull(provided_cost),
            p.priced, (greatest(toInt64(input_tokens) - cache_read_tokens - cache_write_tokens, 0) * p.price_input
                       + cache_read_tokens * p.price_cached_input + cache_write_tokens * p.price_cache_write
                       + greatest(toInt64(output_tokens) - reasoning_tokens, 0) * p.price_output
                       + reasoning_tokens * p.price_reasoning) / 1e6,
            0) AS cost_usd,
    multiIf(provided_cost IS NOT NULL, 'provided', input_tokens + output_tokens = 0, 'none', p.priced, 'computed', 'unpriced') AS cost_source,
    scope_name, scope_version,
    -- Attribute values longer than SPANLEDGER_MAX_ATTRIBUTE_BYTES are cut there (on a UTF-8 boundary) and marked, so one huge
    -- prompt cannot bloat the table; the lookups above saw them whole. The arrayExists guard skips the
    -- rewrite for the (usual) span without such a value.
    if(arrayExists(v -> length(v) > {max_attribute_bytes:UInt32}, mapValues(attributes)),
       mapApply((k, v) -> (k, if(length(v) > {max_attribute_bytes:UInt32},
           concat(toValidUTF8(substring(v, 1, {max_attribute_bytes:UInt32})), '…[truncated ', toString(length(v) - {max_attribute_bytes:UInt32}), ' bytes]'), v)), attributes),
       attributes) AS kept_attributes,
    if(arrayExists(v -> length(v) > {max_attribute_bytes:UInt32}, mapValues(resource_attributes)),
       mapApply((k, v) -> (k, if(length(v) > {max_attribute_bytes:UInt32},
           concat(toValidUTF8(substring(v, 1, {max_attribute_bytes:UInt32})), '…[truncated ', toString(length(v) - {max_attribute_bytes:UInt32}), ' bytes]'), v)), resource_attributes),
       resource_attributes) AS kept_resource_attributes,
    if(arrayExists(e -> arrayExists(v -> length(v) > {max_attribute_bytes:UInt32}, mapValues(e.3)), events),
       arrayMap(e -> (e.1, e.2, mapApply((k, v) -> (k, if(length(v) > {max_attribute_bytes:UInt32},
           concat(toValidUTF8(substring(v, 1, {max_attribute_bytes:UInt32})), '…[truncated ', toString(length(v) - {max_attribute_bytes:UInt32}), ' bytes]'), v)), e.3)), events),
       events) AS kept_events,
    -- Which context came from the trace rather than the span's own attributes (bits: 1 session,
    -- 2 user, 4 agent name, 8 agent version): the context repair may still correct those.
    toUInt8((explicit_session = '') + 2 * (explicit_user = '') + 4 * (explicit_agent = '') + 8 * (explicit_agent_version = '')) AS context_inherited,
    -- Of those, the ones not even the rest of its trace in this batch named (same bits): the span holds a
    -- fallback (trace id, service name) until a later batch names them and the context repair runs.
    toUInt8((explicit_session = '' AND trace_session = '') + 2 * (explicit_user = '' AND trace_user = '')
            + 4 * (explicit_agent = '' AND trace_agent = '') + 8 * (explicit_agent_version = '' AND trace_agent_version = '')) AS context_fallback
FROM
(
    SELECT
        *,
        -- Spans of one trace share their session, user and agent even when only the root names them.
        max(explicit_session) OVER w AS trace_session,
        max(explicit_user) OVER w AS trace_user,
        max(explicit_agent) OVER w AS trace_agent,
        max(explicit_agent_version) OVER w AS trace_agent_version,
        if(explicit_session != '', explicit_session, if(trace_session != '', trace_session, trace_id)) AS session_id,
        if(explicit_user != '', explicit_user, trace_user) AS user_id,
        if(explicit_agent != '', explicit_agent, if(trace_agent != '', trace_agent, service_name)) AS agent_name,
        if(explicit_agent_version != '', explicit_agent_version, if(trace_agent_version != '', trace_agent_version, service_version)) AS agent_version,
        -- Inputs count cache reads and writes (semconv); a count below them evidently left them out.
        if(in_raw < cache_read_tokens + cache_write_tokens, in_raw + cache_read_tokens + cache_write_tokens, in_raw) AS input_tokens,
        if(out_raw < reasoning_tokens, out_raw + reasoning_tokens, out_raw) AS output_tokens,
        -- Price the model that answered; an exact price-table name wins over its base name.
        if(response_model != '', response_model, request_model) AS priced_model,
        multiIf(in_raw + out_raw = 0, '', lower(priced_model) IN (SELECT key FROM model_prices), lower(priced_model),
                sl_model_key(priced_model)) AS price_key
    FROM
    (
        SELECT
            *,
            attributes AS a,
            if(resource_attributes['service.name'] != '', resource_attributes['service.name'], 'unknown_service') AS service_name,
            resource_attributes['service.version'] AS service_version,
            multiIf(resource_attributes['deployment.environment.name'] != '', resource_attributes['deployment.environment.name'],
                    resource_attributes['deployment.environment'] != '', resource_attributes['deployment.environment'],
                    a['langfuse.environment']) AS environment,
            lower(sl_pick5(a, 'gen_ai.operation.name', 'openinference.span.kind', 'traceloop.span.kind',
                           'langfuse.observation.type', 'llm.request.type')) AS op_raw,
            multiIf(
                op_raw IN ('chat', 'llm', 'generation', 'generate_content'), 'chat',
                op_raw IN ('text_completion', 'completion'), 'text_completion',
                op_raw IN ('embeddings', 'embedding'), 'embeddings',
                op_raw IN ('execute_tool', 'tool'), 'execute_tool',
                op_raw IN ('invoke_agent', 'create_agent', 'agent'), 'invoke_agent',
                op_raw IN ('retrieval', 'retriever', 'reranker'), 'retrieval',
                op_raw = 'handoff' OR a['spanledger.handoff'] IN ('true', '1') OR startsWith(lower(name), 'handoff'), 'handoff',
                op_raw = '' AND (a['gen_ai.request.model'] != '' OR a['llm.model_name'] != ''), 'chat',
                'other') AS operation,
            lower(sl_pick4(a, 'gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system')) AS provider,
            multiIf(
                a['gen_ai.request.model'] != '', a['gen_ai.request.model'],
                a['llm.request.model'] != '', a['llm.request.model'],
                a['langfuse.observation.model.name'] != '', a['langfuse.observation.model.name'],
                a['llm.invocation_parameters'] LIKE '%"model"%', JSONExtractString(a['llm.invocation_parameters'], 'model'),
                a['input.mime_type'] = 'application/json' AND a['input.value'] LIKE '%"model"%', JSONExtractString(a['input.value'], 'model'),
                a['llm.model_name'] != '', a['llm.model_name'],
                a['embedding.model_name']) AS request_model,
            sl_pick4(a, 'gen_ai.response.model', 'llm.response.model', 'llm.model_name', 'embedding.model_name') AS response_model,
            multiIf(a['gen_ai.tool.name'] != '', a['gen_ai.tool.name'], a['tool.name'] != '', a['tool.name'],
                    operation != 'execute_tool', '',
                    a['traceloop.entity.name'] != '', a['traceloop.entity.name'], name) AS tool_name,
            sl_session(a) AS explicit_session,
            sl_user(a) AS explicit_user,
            sl_agent(a) AS explicit_agent,
            sl_agent_version(a) AS explicit_agent_version,
            a['langfuse.observation.usage_details'] AS lf_usage,
            sl_count(multiIf(
                a['gen_ai.usage.input_tokens'] != '', a['gen_ai.usage.input_tokens'],
                a['gen_ai.usage.prompt_tokens'] != '', a['gen_ai.usage.prompt_tokens'],
                a['llm.token_count.prompt'] != '', a['llm.token_count.prompt'],
                a['llm.usage.prompt_tokens'] != '', a['llm.usage.prompt_tokens'],
                lf_usage != '', toString(JSONExtractUInt(lf_usage, 'input') + JSONExtractUInt(lf_usage, 'input_cached_tokens')
                                         + JSONExtractUInt(lf_usage, 'cache_read_input_tokens')),
                '')) AS in_raw,
            sl_count(multiIf(
                a['gen_ai.usage.output_tokens'] != '', a['gen_ai.usage.output_tokens'],
                a['gen_ai.usage.completion_tokens'] != '', a['gen_ai.usage.completion_tokens'],
                a['llm.token_count.completion'] != '', a['llm.token_count.completion'],
                a['llm.usage.completion_tokens'] != '', a['llm.usage.completion_tokens'],
                lf_usage != '', toString(JSONExtractUInt(lf_usage, 'output')),
                '')) AS out_raw,
            sl_count(sl_pick4(a, 'gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens',
                              'llm.token_count.prompt_details.cache_read', 'gen_ai.usage.cached_tokens')) AS cache_read_tokens,
            sl_count(sl_pick4(a, 'gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.cache_creation.input_tokens',
                              'gen_ai.usage.cache_creation_input_tokens', 'llm.token_count.prompt_details.cache_write')) AS cache_write_tokens,
            sl_count(sl_pick4(a, 'gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens',
                              'llm.token_count.completion_details.reasoning', 'llm.usage.reasoning_tokens')) AS reasoning_tokens,
            toFloat64OrNull(multiIf(
                a['gen_ai.usage.cost'] != '', a['gen_ai.usage.cost'],
                a['llm.cost.total'] != '', a['llm.cost.total'],
                a['gen_ai.usage.cost_usd'] != '', a['gen_ai.usage.cost_usd'],
                a['langfuse.observation.cost_details'] LIKE '%"total"%', toString(JSONExtractFloat(a['langfuse.observation.cost_details'], 'total')),
                '')) AS provided_cost
        -- The attribute maps are built once here; the layers above read them as columns (an alias
        -- would be expanded into every lookup and make the query slow to plan).
        FROM
        (
            SELECT
                lower(hex(sp.trace_id)) AS trace_id,
                lower(hex(sp.span_id)) AS span_id,
                lower(hex(sp.parent_span_id)) AS parent_span_id,
                sp.name AS name,
                ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'][least(greatest(sp.kind, 0), 5) + 1] AS kind,
                fromUnixTimestamp64Nano(toInt64(sp.start_time_unix_nano), 'UTC') AS start_time,
                fromUnixTimestamp64Nano(toInt64(sp.end_time_unix_nano), 'UTC') AS end_time,
                sp.end_time_unix_nano - sp.start_time_unix_nano AS duration_ns,
                ['UNSET', 'OK', 'ERROR'][least(greatest(sp.status.code, 0), 2) + 1] AS status_code,
                sp.status.message AS status_message,
                ss.scope.name AS scope_name,
                ss.scope.version AS scope_version,
                sl_attributes_limited(sp.attributes, {max_attributes:UInt32}) AS attributes,
                resource AS resource_attributes,
                arrayMap(e -> (fromUnixTimestamp64Nano(toInt64(e.time_unix_nano), 'UTC'), e.name, sl_attributes_limited(e.attributes, {max_attributes:UInt32})), sp.events) AS events
            FROM (SELECT sl_redact_map(sl_attributes(rs.resource.attributes), {redact_detectors:Array(String)}, {redact_salt:String},
                                {redact_custom:String}, {redact_keep:Array(String)}, {redact_drop:Array(String)}) AS resource,
                  rs.scope_spans AS scope_spans
                  FROM {source} ARRAY JOIN resource_spans AS rs)
            ARRAY JOIN scope_spans AS ss
            -- Filtered before the join rather than after: a WHERE here costs the planner 70 ms per load.
            ARRAY JOIN arrayFilter(sp -> sl_span_problem(sp, {min_time_ns:UInt64}, {max_time_ns:UInt64}) = '', ss.spans) AS sp
        )
    )
    WINDOW w AS (PARTITION BY trace_id)
) AS s
LEFT ANY JOIN
(
    SELECT key AS price_key, 1 AS priced, input AS price_input, cached_input AS price_cached_input,
           cache_write AS price_cache_write, output AS price_output, reasoning AS price_reasoning
    FROM model_prices
) AS p USING (price_key)
)
-- A load's duplicate spans collapse at merges and reads, like retried ones: not sorting them out here saves a third of the write.
SETTINGS optimize_on_insert = 0
