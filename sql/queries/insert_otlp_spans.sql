-- Explode a batch of OTLP ExportTraceServiceRequest messages into typed span rows.
-- {source} is the batch: file(...) in embedded mode, input(...) in server mode, both in the
-- 'Protobuf' format with ingest/otlp_columns.proto. One row of the source is one request.
-- The attribute precedence table (README, "Attribute resolution") is the sl_first(...) key lists below.
-- Rows land in spans_staging (Null engine); its materialized views send valid spans to spans and
-- invalid ones, with their reason, to span_rejections, so one parse serves both.
INSERT INTO spans_staging (
    batch_id, request, reject_reason, context_fallback, tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version, attributes, resource_attributes, events, context_inherited)
SELECT
    {batch_id:String}, request, reject_reason, toUInt8(context_fallback_bits) AS context_fallback, {tenant:String}, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    multiIf(provided_cost IS NOT NULL, assumeNotNull(provided_cost),
            p.priced, (greatest(toInt64(input_tokens) - cache_read_tokens - cache_write_tokens, 0) * p.price_input
                       + cache_read_tokens * p.price_cached_input + cache_write_tokens * p.price_cache_write
                       + greatest(toInt64(output_tokens) - reasoning_tokens, 0) * p.price_output
                       + reasoning_tokens * p.price_reasoning) / 1e6,
            0) AS cost_usd,
    multiIf(provided_cost IS NOT NULL, 'provided',
            input_tokens + output_tokens = 0, 'none',
            p.priced, 'computed',
            'unpriced') AS cost_source,
    scope_name, scope_version, attributes, resource_attributes, events, context_inherited
FROM
(
    SELECT
        *,
        -- Spans of one trace share their session, user and agent even when only the root names them.
        coalesce(nullIf(explicit_session, ''), nullIf(max(explicit_session) OVER w, ''), trace_id) AS session_id,
        coalesce(nullIf(explicit_user, ''), max(explicit_user) OVER w) AS user_id,
        coalesce(nullIf(explicit_agent, ''), nullIf(max(explicit_agent) OVER w, ''), service_name) AS agent_name,
        coalesce(nullIf(explicit_agent_version, ''), nullIf(max(explicit_agent_version) OVER w, ''), service_version) AS agent_version,
        -- Which context came from elsewhere than the span's own attributes (bits: 1 session, 2 user,
        -- 4 agent name, 8 agent version); the context repair fixes those once the trace's root is known.
        toUInt8((explicit_session = '') + 2 * (explicit_user = '') + 4 * (explicit_agent = '') + 8 * (explicit_agent_version = '')) AS context_inherited,
        -- Context neither the span nor its batch supplied (same bits): a later batch may, see trace_context.
        (explicit_session = '' AND max(explicit_session) OVER w = '') + 2 * (explicit_user = '' AND max(explicit_user) OVER w = '')
            + 4 * (explicit_agent = '' AND max(explicit_agent) OVER w = '')
            + 8 * (explicit_agent_version = '' AND max(explicit_agent_version) OVER w = '') AS context_fallback_bits,
        if(in_raw < cache_read_tokens + cache_write_tokens, in_raw + cache_read_tokens + cache_write_tokens, in_raw) AS input_tokens,
        if(out_raw < reasoning_tokens, out_raw + reasoning_tokens, out_raw) AS output_tokens,
        if(lower(response_model) IN (SELECT key FROM model_prices), lower(response_model),
           if(lower(request_model) IN (SELECT key FROM model_prices) AND response_model = '', lower(request_model),
              sl_model_key(if(response_model != '', response_model, request_model)))) AS price_key
    FROM
    (
        SELECT
            request,
            multiIf(
                length(sp.trace_id) != 16 OR sp.trace_id = repeat('\0', 16),
                    concat('trace_id must be 16 non-zero bytes, got ', toString(length(sp.trace_id))),
                length(sp.span_id) != 8 OR sp.span_id = repeat('\0', 8),
                    concat('span_id must be 8 non-zero bytes, got ', toString(length(sp.span_id))),
                length(sp.parent_span_id) NOT IN (0, 8),
                    concat('parent_span_id must be empty or 8 bytes, got ', toString(length(sp.parent_span_id))),
                sp.end_time_unix_nano < sp.start_time_unix_nano, 'end_time_unix_nano is before start_time_unix_nano',
                sp.start_time_unix_nano NOT BETWEEN {min_time_ns:UInt64} AND {max_time_ns:UInt64},
                    concat('start_time_unix_nano ', toString(sp.start_time_unix_nano), ' is outside the accepted range'),
                '') AS reject_reason,
            lower(hex(sp.trace_id)) AS trace_id,
            lower(hex(sp.span_id)) AS span_id,
            lower(hex(sp.parent_span_id)) AS parent_span_id,
            sp.name AS name,
            ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'][least(greatest(sp.kind, 0), 5) + 1] AS kind,
            fromUnixTimestamp64Nano(toInt64(sp.start_time_unix_nano), 'UTC') AS start_time,
            fromUnixTimestamp64Nano(toInt64(sp.end_time_unix_nano), 'UTC') AS end_time,
            if(sp.end_time_unix_nano > sp.start_time_unix_nano, sp.end_time_unix_nano - sp.start_time_unix_nano, 0) AS duration_ns,
            ['UNSET', 'OK', 'ERROR'][least(greatest(sp.status.code, 0), 2) + 1] AS status_code,
            sp.status.message AS status_message,
            ss.scope.name AS scope_name,
            ss.scope.version AS scope_version,
            mapFromArrays(arrayMap(kv -> kv.key, sp.attributes), arrayMap(kv -> sl_anyvalue(kv.value), sp.attributes)) AS attributes,
            mapFromArrays(arrayMap(kv -> kv.key, rs.resource.attributes), arrayMap(kv -> sl_anyvalue(kv.value), rs.resource.attributes)) AS resource_attributes,
            arrayMap(e -> (fromUnixTimestamp64Nano(toInt64(e.time_unix_nano), 'UTC'), e.name,
                           mapFromArrays(arrayMap(kv -> kv.key, e.attributes), arrayMap(kv -> sl_anyvalue(kv.value), e.attributes))),
                     sp.events) AS events,
            attributes AS a,
            resource_attributes AS r,
            if(r['service.name'] != '', r['service.name'], 'unknown_service') AS service_name,
            r['service.version'] AS service_version,
            sl_first(r, ['deployment.environment.name', 'deployment.environment']) AS res_environment,
            if(res_environment != '', res_environment, a['langfuse.environment']) AS environment,
            lower(sl_first(a, ['gen_ai.operation.name', 'openinference.span.kind', 'traceloop.span.kind',
                               'langfuse.observation.type', 'llm.request.type'])) AS op_raw,
            multiIf(
                op_raw IN ('chat', 'llm', 'generation', 'generate_content'), 'chat',
                op_raw IN ('text_completion', 'completion'), 'text_completion',
                op_raw IN ('embeddings', 'embedding'), 'embeddings',
                op_raw IN ('execute_tool', 'tool'), 'execute_tool',
                op_raw IN ('invoke_agent', 'create_agent', 'agent'), 'invoke_agent',
                op_raw IN ('retrieval', 'retriever', 'reranker'), 'retrieval',
                op_raw = 'handoff' OR a['spanledger.handoff'] IN ('true', '1') OR startsWith(lower(sp.name), 'handoff'), 'handoff',
                op_raw = '' AND (a['gen_ai.request.model'] != '' OR a['llm.model_name'] != '') AND sp.name NOT ILIKE '%embed%', 'chat',
                'other') AS operation,
            lower(sl_first(a, ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system'])) AS provider,
            sl_first(a, ['gen_ai.request.model', 'llm.request.model', 'langfuse.observation.model.name']) AS req_model_attr,
            if(req_model_attr != '', req_model_attr,
               sl_first(map('p', JSONExtractString(a['llm.invocation_parameters'], 'model'),
                            'i', if(a['input.mime_type'] = 'application/json', JSONExtractString(a['input.value'], 'model'), ''),
                            'm', a['llm.model_name'], 'e', a['embedding.model_name']), ['p', 'i', 'm', 'e'])) AS request_model,
            sl_first(a, ['gen_ai.response.model', 'llm.response.model', 'llm.model_name', 'embedding.model_name']) AS response_model,
            if(operation = 'execute_tool',
               sl_first(a, ['gen_ai.tool.name', 'tool.name', 'traceloop.entity.name']),
               sl_first(a, ['gen_ai.tool.name', 'tool.name'])) AS tool_name_attr,
            if(tool_name_attr = '' AND operation = 'execute_tool', sp.name, tool_name_attr) AS tool_name,
            sl_first(a, ['gen_ai.conversation.id', 'session.id', 'traceloop.association.properties.session_id',
                         'langfuse.session.id', 'gen_ai.session.id']) AS explicit_session,
            sl_first(a, ['user.id', 'enduser.id', 'traceloop.association.properties.user_id', 'langfuse.user.id']) AS explicit_user,
            sl_first(a, ['gen_ai.agent.name', 'agent.name',
                         if(a['traceloop.span.kind'] = 'agent', 'traceloop.entity.name', '')]) AS explicit_agent,
            sl_first(a, ['gen_ai.agent.version', 'langfuse.version', 'agent.version']) AS explicit_agent_version,
            a['langfuse.observation.usage_details'] AS lf_usage,
            sl_count(sl_first(map(
                'a', sl_first(a, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens']),
                'l', if(lf_usage != '', toString(JSONExtractUInt(lf_usage, 'input') + JSONExtractUInt(lf_usage, 'input_cached_tokens')
                                                 + JSONExtractUInt(lf_usage, 'cache_read_input_tokens')), '')), ['a', 'l'])) AS in_raw,
            sl_count(sl_first(map(
                'a', sl_first(a, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens']),
                'l', if(lf_usage != '', toString(JSONExtractUInt(lf_usage, 'output')), '')), ['a', 'l'])) AS out_raw,
            sl_count(sl_first(a, ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens',
                                  'llm.token_count.prompt_details.cache_read', 'gen_ai.usage.cached_tokens'])) AS cache_read_tokens,
            sl_count(sl_first(a, ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens',
                                  'llm.token_count.prompt_details.cache_write'])) AS cache_write_tokens,
            sl_count(sl_first(a, ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens',
                                  'llm.token_count.completion_details.reasoning', 'llm.usage.reasoning_tokens'])) AS reasoning_tokens,
            toFloat64OrNull(sl_first(map(
                'a', sl_first(a, ['gen_ai.usage.cost', 'llm.cost.total', 'gen_ai.usage.cost_usd']),
                'l', if(JSONHas(a['langfuse.observation.cost_details'], 'total'),
                        toString(JSONExtractFloat(a['langfuse.observation.cost_details'], 'total')), '')), ['a', 'l'])) AS provided_cost
        FROM (SELECT rowNumberInAllBlocks() AS request, resource_spans FROM {source})
        ARRAY JOIN resource_spans AS rs
        ARRAY JOIN rs.scope_spans AS ss
        ARRAY JOIN ss.spans AS sp
    )
    WINDOW w AS (PARTITION BY trace_id)
) AS s
LEFT ANY JOIN
(
    SELECT key AS price_key, 1 AS priced, input AS price_input, cached_input AS price_cached_input,
           cache_write AS price_cache_write, output AS price_output, reasoning AS price_reasoning
    FROM model_prices
) AS p USING (price_key)
