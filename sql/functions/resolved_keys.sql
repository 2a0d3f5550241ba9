-- The attribute keys the precedence table reads (sql/queries/insert_otlp_spans.sql), each looked up through its code
-- (sl_key_code, sql/0056_attribute_codes.sql). A key the table starts to read is added here; tests/test_sql_functions.py
-- fails otherwise. Applied at every start after the migrations (store/migrate.py), so this one list is the current one;
-- migrations 0079-0082 used to restate it whole for each key added.
CREATE OR REPLACE FUNCTION sl_resolved_keys AS () -> [
    'gen_ai.operation.name', 'openinference.span.kind', 'traceloop.span.kind', 'langfuse.observation.type', 'llm.request.type',
    'spanledger.handoff',
    'gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system',
    'gen_ai.request.model', 'llm.request.model', 'langfuse.observation.model.name', 'llm.invocation_parameters',
    'input.mime_type', 'input.value', 'llm.model_name', 'embedding.model_name',
    'gen_ai.response.model', 'llm.response.model',
    'gen_ai.tool.name', 'tool.name', 'traceloop.entity.name',
    'gen_ai.conversation.id', 'session.id', 'traceloop.association.properties.session_id', 'langfuse.session.id', 'gen_ai.session.id',
    'user.id', 'enduser.id', 'traceloop.association.properties.user_id', 'langfuse.user.id',
    'gen_ai.agent.name', 'agent.name', 'gen_ai.agent.version', 'langfuse.version', 'agent.version',
    'langfuse.observation.usage_details',
    'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens',
    'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens',
    'gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens', 'llm.token_count.prompt_details.cache_read',
    'gen_ai.usage.cached_tokens',
    'gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens',
    'llm.token_count.prompt_details.cache_write',
    'gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens', 'llm.token_count.completion_details.reasoning',
    'llm.usage.reasoning_tokens',
    'gen_ai.usage.cost', 'llm.cost.total', 'gen_ai.usage.cost_usd', 'langfuse.observation.cost_details',
    'langfuse.environment',
    'ai.operationId', 'ai.toolCall.name', 'ai.telemetry.functionId', 'ai.telemetry.metadata.sessionId', 'ai.telemetry.metadata.userId',
    'ai.usage.cachedInputTokens', 'ai.usage.inputTokenDetails.cacheWriteTokens', 'ai.usage.reasoningTokens',
    'ai.model.id', 'ai.usage.tokens',
    'gen_ai.usage.details.reasoning_tokens',
    'to_agent', 'gen_ai.handoff.from_agent', 'gen_ai.handoff.to_agent',
    'logfire.msg_template', 'name'];
