-- Explode a batch of OTLP ExportTraceServiceRequest messages into typed span rows.
-- {source} is the batch: file(...) in embedded mode, input(...) in server mode, both in the
-- 'Protobuf' format with ingest/otlp_columns.proto; one source row is one request.
-- The attribute precedence table (README, "Attribute resolution") is the sl_first*/sl_at key lists here
-- (keys listed in sql/0056_attribute_codes.sql). Spans go into spans_stage, where each span holds the
-- session, user and agent it names itself: sql/queries/move_staged_spans.sql fills in what its trace
-- names and moves the rows into spans.
-- Every stored string passes the redaction (sql/0050_redaction_functions.sql); the lookups of tokens,
-- models and cost read the values as sent. {redact_*} parameters: ingest/redaction.py.
INSERT INTO spans_stage (
    tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version, attributes, resource_attributes, events, context_inherited, context_fallback,
    redactions)
SELECT
    tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, stored_status_message,
    service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version,
    stored_attributes,
    kept_resource_attributes,
    stored_events,
    context_inherited, context_fallback,
    -- The masks this load put into the span, by detector: only values it changed are looked at.
    -- A span without a mask has no counts: a search for one is cheaper than comparing the maps.
    if(NOT arrayExists(v -> position(v, '[redacted:') > 0, mapValues(stored_attributes))
       AND NOT arrayExists(e -> arrayExists(v -> position(v, '[redacted:') > 0, mapValues(e.3)), stored_events), map(),
       sl_redaction_counts(
           arrayStringConcat(arrayConcat(arrayFilter((n, o) -> n != o, mapValues(stored_attributes), mapValues(kept_attributes)),
               arrayFlatten(arrayMap((n, o) -> arrayFilter((nv, ov) -> nv != ov, mapValues(n.3), mapValues(o.3)), stored_events, kept_events))), '\n'),
           arrayStringConcat(arrayConcat(arrayFilter((o, n) -> n != o, mapValues(kept_attributes), mapValues(stored_attributes)),
               arrayFlatten(arrayMap((n, o) -> arrayFilter((ov, nv) -> nv != ov, mapValues(o.3), mapValues(n.3)), stored_events, kept_events))), '\n')))
FROM
(
-- The stored values, once: the layer above uses each of them several times, and the analyzer copies an alias's
-- expression into every use (its query tree was twice the size).
SELECT
    *,
    sl_redact_text(status_message, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String}) AS stored_status_message,
    sl_redact_map(kept_attributes, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String},
                  {redact_keep:Array(String)}, {redact_drop:Array(String)}) AS stored_attributes,
    arrayMap(e -> (e.1, e.2, sl_redact_map(e.3, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String},
                                         {redact_keep:Array(String)}, {redact_drop:Array(String)})), kept_events) AS stored_events
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
    -- Values over SPANLEDGER_MAX_ATTRIBUTE_BYTES are cut (sql/0057_value_truncation.sql); the lookups above saw them whole.
    sl_truncate_values(attributes, {max_attribute_bytes:UInt32}) AS kept_attributes,
    sl_truncate_values(resource_attributes, {max_attribute_bytes:UInt32}) AS kept_resource_attributes,
    arrayMap(e -> (e.1, e.2, sl_truncate_values(e.3, {max_attribute_bytes:UInt32})), events) AS kept_events,
    -- Which context came from the trace rather than the span's own attributes (bits: 1 session,
    -- 2 user, 4 agent name, 8 agent version): the context repair may still correct those.
    toUInt8((session_id = '') + 2 * (user_id = '') + 4 * (agent_name = '') + 8 * (agent_version = '')) AS context_inherited,
    toUInt8(0) AS context_fallback  -- set by the move
FROM
(
    SELECT
        *,
        -- Inputs count cache reads and writes (semconv); a count below them evidently left them out. OpenLIT passes
        -- Anthropic's count on as sent, which never holds them, even when it is the larger.
        multiIf(in_raw < cache_read_tokens + cache_write_tokens, in_raw + cache_read_tokens + cache_write_tokens,
                provider = 'anthropic', multiIf(attributes['telemetry.sdk.name'] = 'openlit', in_raw + cache_read_tokens + cache_write_tokens, in_raw),
                in_raw) AS input_tokens,
        if(out_raw < reasoning_tokens, out_raw + reasoning_tokens, out_raw) AS output_tokens,
        -- A cost of 0 (or less) stated for a call with tokens is no price: OpenLIT states 0 for every model its price
        -- list lacks, and for all of them when it cannot fetch the list. Such a call is priced here, or unpriced.
        multiIf(stated_cost > 0, stated_cost, in_raw + out_raw = 0, stated_cost, NULL) AS provided_cost,
        -- Here, not beside the operation: a use of an alias in its own layer copies its expression, and the
        -- operation's is long (each of its branches cost every load's planning twice).
        multiIf(v_tool != '', v_tool, operation != 'execute_tool', '', v_entity != '', v_entity, name) AS tool_name,
        -- Price the model that answered; an exact price-table name wins over its base name.
        if(response_model != '', response_model, request_model) AS priced_model,
        multiIf(in_raw + out_raw = 0, '', lower(priced_model) IN (SELECT key FROM model_prices), lower(priced_model),
                sl_model_key(priced_model)) AS price_key
    FROM
    (
        SELECT
            *,
            multiIf(resource_environment != '', resource_environment, v_lf_env) AS environment,
            -- The Vercel AI SDK names its spans' kind only in ai.operationId (keys in sql/functions/resolved_keys.sql).
            -- A Logfire agent run (OpenAI Agents SDK) is an agent's span.
            lower(multiIf(v_op != '', v_op, v_ai_op != '', v_ai_op, v_logfire_agent != '', 'agent', '')) AS op_raw,
            multiIf(
                op_raw IN ('chat', 'llm', 'generation', 'generate_content', 'ai.generatetext.dogenerate', 'ai.streamtext.dostream',
                           'ai.generateobject.dogenerate', 'ai.streamobject.dostream'), 'chat',
                op_raw IN ('text_completion', 'completion'), 'text_completion',
                op_raw IN ('embeddings', 'embedding', 'ai.embed.doembed', 'ai.embedmany.doembed'), 'embeddings',
                -- A handoff between agents names them (v_handoff_agents): the OpenAI Agents SDK's through Logfire
                -- ("Handoff: triage → billing", to_agent), OpenLLMetry (operation handoff, gen_ai.handoff.from_agent) and
                -- OpenInference (a TOOL span). Neither a tool the agent used nor a handoff to a person.
                v_handoff_agents != '', 'other',
                op_raw IN ('execute_tool', 'tool', 'ai.toolcall'), 'execute_tool',
                op_raw IN ('invoke_agent', 'create_agent', 'agent'), 'invoke_agent',
                op_raw IN ('retrieval', 'retriever', 'reranker'), 'retrieval',
                -- A handoff to a person.
                op_raw = 'handoff' OR v_handoff IN ('true', '1') OR startsWith(lower(name), 'handoff'),
                    'handoff',
                op_raw = '' AND has_model, 'chat',
                'other') AS operation,
            -- The Vercel AI SDK names the provider with its API (openai.chat, openai.responses, anthropic.messages).
            lower(if(v_ai_op != '', splitByChar('.', v_provider)[1], v_provider)) AS provider,
            multiIf(
                v_req1 != '', v_req1,
                v_invocation LIKE '%"model"%', JSONExtractString(v_invocation, 'model'),
                v_input_mime = 'application/json' AND v_input LIKE '%"model"%', JSONExtractString(v_input, 'model'),
                v_ai_op IN ('ai.embed.doEmbed', 'ai.embedMany.doEmbed'), v_ai_model,
                v_req2) AS request_model,
            v_resp AS response_model,
            -- The context the span names itself; the move fills in what only its trace names.
            if(v_session != '', v_session, v_ai_session) AS session_id,
            v_user AS user_id,
            -- A LangGraph graph's run (its root span; OpenInference names no agent in it, LangChain's metadata names the
            -- integration) is named after the graph: create_react_agent(name=...). 'LangGraph' is the name of an unnamed one.
            multiIf(v_agent != '', v_agent, v_logfire_agent != '', v_logfire_agent, v_span_kind = 'agent', v_entity, v_lf_type = 'agent', name,
                    parent_span_id != '', '', name = 'LangGraph', '',
                    attributes['metadata'] LIKE '%"ls_integration": "langgraph"%', name, '') AS agent_name,
            v_agent_version AS agent_version,
            -- Langfuse's usage_details (JSON) come in two shapes: its own buckets, which are disjoint (input,
            -- input_cached_tokens, cache_read_input_tokens, cache_creation_input_tokens, output, output_reasoning_tokens),
            -- or the provider's usage object as its OpenAI integration passes it on (prompt_tokens, completion_tokens and
            -- their *_details; or input_tokens and output_tokens, which Anthropic's cache counts stand beside). No key
            -- belongs to both, so each count is a plain sum: branches by shape cost the load 0.02 s more of planning.
            sl_count(multiIf(
                v_in != '', v_in,
                v_lf_usage != '', toString(JSONExtractUInt(v_lf_usage, 'input') + JSONExtractUInt(v_lf_usage, 'input_cached_tokens')
                    + JSONExtractUInt(v_lf_usage, 'cache_read_input_tokens') + JSONExtractUInt(v_lf_usage, 'cache_creation_input_tokens')
                    + JSONExtractUInt(v_lf_usage, 'prompt_tokens') + JSONExtractUInt(v_lf_usage, 'input_tokens')),
                v_ai_op IN ('ai.embed.doEmbed', 'ai.embedMany.doEmbed'), v_ai_tokens,
                '')) AS in_raw,
            sl_count(multiIf(
                v_out != '', v_out,
                v_lf_usage != '', toString(JSONExtractUInt(v_lf_usage, 'output') + JSONExtractUInt(v_lf_usage, 'output_reasoning_tokens')
                    + JSONExtractUInt(v_lf_usage, 'completion_tokens') + JSONExtractUInt(v_lf_usage, 'output_tokens')),
                '')) AS out_raw,
            -- Langfuse's breakdowns only where its usage_details gave the input (the output); the Vercel AI SDK's only where
            -- gen_ai.usage.* gave it: its outer spans (ai.generateText) repeat their calls' counts in ai.usage.* alone.
            sl_count(multiIf(
                v_cache_read != '', v_cache_read,
                v_in = '' AND v_lf_usage != '', toString(JSONExtractUInt(v_lf_usage, 'input_cached_tokens')
                    + JSONExtractUInt(v_lf_usage, 'cache_read_input_tokens') + JSONExtractUInt(v_lf_usage, 'prompt_tokens_details', 'cached_tokens')
                    + JSONExtractUInt(v_lf_usage, 'input_tokens_details', 'cached_tokens')),
                v_in != '', v_ai_cache_read,
                '')) AS cache_read_tokens,
            sl_count(multiIf(
                v_cache_write != '', v_cache_write,
                v_in = '' AND v_lf_usage != '', toString(JSONExtractUInt(v_lf_usage, 'cache_creation_input_tokens')),
                v_in != '', v_ai_cache_write,
                '')) AS cache_write_tokens,
            sl_count(multiIf(
                v_reasoning != '', v_reasoning,
                v_out = '' AND v_lf_usage != '', toString(JSONExtractUInt(v_lf_usage, 'output_reasoning_tokens')
                    + JSONExtractUInt(v_lf_usage, 'completion_tokens_details', 'reasoning_tokens')
                    + JSONExtractUInt(v_lf_usage, 'output_tokens_details', 'reasoning_tokens')),
                v_out != '', v_ai_reasoning,
                '')) AS reasoning_tokens,
            toFloat64OrNull(multiIf(
                v_cost != '', v_cost,
                v_lf_cost LIKE '%"total"%', toString(JSONExtractFloat(v_lf_cost, 'total')),
                v_lf_cost LIKE '%:%', toString(arraySum(JSONExtractKeysAndValues(v_lf_cost, 'Float64').2)),  -- no total: its parts
                '')) AS stated_cost
        -- Each value the resolution reads is taken here, once per span, through the codes (c) of its attribute
        -- keys; the layer above only combines them. query_plan_merge_expressions = 0 keeps the layers apart, so
        -- these are read for every span at once rather than again for each branch of a multiIf (2 µs a span).
        FROM
        (
        SELECT
            *,
            sl_first5(mapValues(attributes), c, 'gen_ai.operation.name', 'openinference.span.kind', 'traceloop.span.kind',
                      'langfuse.observation.type', 'llm.request.type') AS v_op,
            sl_at(mapValues(attributes), c, 'spanledger.handoff') AS v_handoff,
            -- Logfire names the agent of an OpenAI Agents SDK run only in its template's argument.
            if(sl_at(mapValues(attributes), c, 'logfire.msg_template') = 'Agent run: {name!r}', sl_at(mapValues(attributes), c, 'name'), '')
                AS v_logfire_agent,
            -- The agent a handoff between agents goes to (or comes from); OpenInference names it only in its TOOL span's name.
            -- multiIf, not AND: that AND cost every load 0.02 s more of planning (an AND in the operation's branches too).
            if(multiIf(startsWith(name, 'handoff to '), sl_at(mapValues(attributes), c, 'openinference.span.kind') = 'TOOL', 0), substring(name, 12),
               sl_first3(mapValues(attributes), c, 'to_agent', 'gen_ai.handoff.from_agent', 'gen_ai.handoff.to_agent')) AS v_handoff_agents,
            has(c, sl_key_code('gen_ai.request.model')) OR has(c, sl_key_code('llm.model_name')) AS has_model,
            sl_first4(mapValues(attributes), c, 'gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system') AS v_provider,
            sl_first3(mapValues(attributes), c, 'gen_ai.request.model', 'llm.request.model', 'langfuse.observation.model.name') AS v_req1,
            sl_at(mapValues(attributes), c, 'llm.invocation_parameters') AS v_invocation,
            sl_at(mapValues(attributes), c, 'input.mime_type') AS v_input_mime,
            sl_at(mapValues(attributes), c, 'input.value') AS v_input,
            sl_first2(mapValues(attributes), c, 'llm.model_name', 'embedding.model_name') AS v_req2,
            sl_first4(mapValues(attributes), c, 'gen_ai.response.model', 'llm.response.model', 'llm.model_name', 'embedding.model_name') AS v_resp,
            sl_first3(mapValues(attributes), c, 'gen_ai.tool.name', 'tool.name', 'ai.toolCall.name') AS v_tool,
            sl_at(mapValues(attributes), c, 'traceloop.entity.name') AS v_entity,
            sl_at(mapValues(attributes), c, 'traceloop.span.kind') AS v_span_kind,
            sl_at(mapValues(attributes), c, 'langfuse.observation.type') AS v_lf_type,
            sl_first5(mapValues(attributes), c, 'gen_ai.conversation.id', 'session.id', 'traceloop.association.properties.session_id',
                      'langfuse.session.id', 'gen_ai.session.id') AS v_session,
            sl_first5(mapValues(attributes), c, 'user.id', 'enduser.id', 'traceloop.association.properties.user_id', 'langfuse.user.id',
                      'ai.telemetry.metadata.userId') AS v_user,
            sl_at(mapValues(attributes), c, 'ai.telemetry.metadata.sessionId') AS v_ai_session,
            sl_first3(mapValues(attributes), c, 'gen_ai.agent.name', 'agent.name', 'ai.telemetry.functionId') AS v_agent,
            sl_first3(mapValues(attributes), c, 'gen_ai.agent.version', 'langfuse.version', 'agent.version') AS v_agent_version,
            sl_at(mapValues(attributes), c, 'langfuse.observation.usage_details') AS v_lf_usage,
            sl_first4(mapValues(attributes), c, 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens') AS v_in,
            sl_first4(mapValues(attributes), c, 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens') AS v_out,
            sl_first4(mapValues(attributes), c, 'gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens',
                      'llm.token_count.prompt_details.cache_read', 'gen_ai.usage.cached_tokens') AS v_cache_read,
            sl_first4(mapValues(attributes), c, 'gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.cache_creation.input_tokens',
                      'gen_ai.usage.cache_creation_input_tokens', 'llm.token_count.prompt_details.cache_write') AS v_cache_write,
            sl_first5(mapValues(attributes), c, 'gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens',
                      'llm.token_count.completion_details.reasoning', 'llm.usage.reasoning_tokens', 'gen_ai.usage.details.reasoning_tokens') AS v_reasoning,
            sl_first3(mapValues(attributes), c, 'gen_ai.usage.cost', 'llm.cost.total', 'gen_ai.usage.cost_usd') AS v_cost,
            sl_at(mapValues(attributes), c, 'langfuse.observation.cost_details') AS v_lf_cost,
            sl_at(mapValues(attributes), c, 'langfuse.environment') AS v_lf_env,
            -- The Vercel AI SDK's.
            sl_at(mapValues(attributes), c, 'ai.operationId') AS v_ai_op,
            sl_at(mapValues(attributes), c, 'ai.usage.cachedInputTokens') AS v_ai_cache_read,
            sl_at(mapValues(attributes), c, 'ai.usage.inputTokenDetails.cacheWriteTokens') AS v_ai_cache_write,
            sl_at(mapValues(attributes), c, 'ai.usage.reasoningTokens') AS v_ai_reasoning,
            sl_at(mapValues(attributes), c, 'ai.model.id') AS v_ai_model,
            sl_at(mapValues(attributes), c, 'ai.usage.tokens') AS v_ai_tokens
        FROM
        (
        SELECT *, sl_key_codes(attributes) AS c
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
                resource AS resource_attributes, service_name, service_version, resource_environment,
                arrayMap(e -> (fromUnixTimestamp64Nano(toInt64(e.time_unix_nano), 'UTC'), e.name, sl_attributes_limited(e.attributes, {max_attributes:UInt32})), sp.events) AS events
            FROM (SELECT *,
                         if(resource['service.name'] != '', resource['service.name'], 'unknown_service') AS service_name,
                         resource['service.version'] AS service_version,
                         multiIf(resource['deployment.environment.name'] != '', resource['deployment.environment.name'],
                                 resource['deployment.environment']) AS resource_environment
                  FROM (SELECT sl_redact_map(sl_attributes(rs.resource.attributes), {redact_detectors:Array(String)}, {redact_salt:String},
                                {redact_custom:String}, {redact_keep:Array(String)}, {redact_drop:Array(String)}) AS resource,
                        rs.scope_spans AS scope_spans
                        FROM {source} ARRAY JOIN resource_spans AS rs))
            ARRAY JOIN scope_spans AS ss
            -- Every spooled span passed ingest/validate.py, which cut the invalid ones out of their request; filtering
            -- them again here cost 1 µs a span (any filter step does, even WHERE length(sp.trace_id) = 16).
            ARRAY JOIN ss.spans AS sp
        )
        )
        )
    )
) AS s
LEFT ANY JOIN
(
    SELECT key AS price_key, 1 AS priced, input AS price_input, cached_input AS price_cached_input,
           cache_write AS price_cache_write, output AS price_output, reasoning AS price_reasoning
    FROM model_prices
) AS p USING (price_key)
)
)
-- optimize_and_compare_chain adds comparisons derived from AND chains, for filters this statement has none of: it
-- took 0.08 of the 0.28 s that planning this statement cost every load (bench/load_profile.py, empty loads).
SETTINGS query_plan_merge_expressions = 0, optimize_and_compare_chain = 0
