-- The insert path reads the precedence table's attributes (README, "Attribute resolution") through codes
-- instead of map lookups. A lookup m['key'] compares the key with every entry of every span (about 70 ns a
-- span each, and the resolution makes dozens); here each span's entries are numbered once, by one hash
-- lookup each, and the resolution then reads small arrays of numbers (sql/queries/insert_otlp_spans.sql).

-- Every attribute key the resolution reads, at most 254 of them. A key used in sl_at / sl_first* must be
-- listed here (tests/test_sql_functions.py checks): an unlisted one would never be found.
CREATE FUNCTION IF NOT EXISTS sl_resolved_keys AS () -> [
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
    'langfuse.environment'];

-- The code of a listed key: its position in sl_resolved_keys (a constant, folded when the query is planned);
-- 255, which no entry carries, for an unlisted one.
CREATE FUNCTION IF NOT EXISTS sl_key_code AS (k) -> toUInt8(if(has(sl_resolved_keys(), k), indexOf(sl_resolved_keys(), k), 255));

-- One code per entry of an attribute map: the key's code, or 0 when the key is not listed or the value is
-- empty (an empty value counts as absent, as in the precedence table).
CREATE FUNCTION IF NOT EXISTS sl_key_codes AS (m) -> arrayMap((k, v) -> if(v = '', toUInt8(0),
    transform(k, sl_resolved_keys(), arrayMap(i -> toUInt8(i), arrayEnumerate(sl_resolved_keys())), toUInt8(0))), mapKeys(m), mapValues(m));

-- The value of key k, '' when absent: v is the map's values, c its codes.
CREATE FUNCTION IF NOT EXISTS sl_at AS (v, c, k) -> arrayElement(v, indexOf(c, sl_key_code(k)));

-- The first non-empty value among the given keys: one row of the precedence table.
CREATE FUNCTION IF NOT EXISTS sl_first2 AS (v, c, k1, k2) -> arrayElement(v,
    if(has(c, sl_key_code(k1)), indexOf(c, sl_key_code(k1)), indexOf(c, sl_key_code(k2))));
CREATE FUNCTION IF NOT EXISTS sl_first3 AS (v, c, k1, k2, k3) -> arrayElement(v, multiIf(
    has(c, sl_key_code(k1)), indexOf(c, sl_key_code(k1)), has(c, sl_key_code(k2)), indexOf(c, sl_key_code(k2)),
    indexOf(c, sl_key_code(k3))));
CREATE FUNCTION IF NOT EXISTS sl_first4 AS (v, c, k1, k2, k3, k4) -> arrayElement(v, multiIf(
    has(c, sl_key_code(k1)), indexOf(c, sl_key_code(k1)), has(c, sl_key_code(k2)), indexOf(c, sl_key_code(k2)),
    has(c, sl_key_code(k3)), indexOf(c, sl_key_code(k3)), indexOf(c, sl_key_code(k4))));
CREATE FUNCTION IF NOT EXISTS sl_first5 AS (v, c, k1, k2, k3, k4, k5) -> arrayElement(v, multiIf(
    has(c, sl_key_code(k1)), indexOf(c, sl_key_code(k1)), has(c, sl_key_code(k2)), indexOf(c, sl_key_code(k2)),
    has(c, sl_key_code(k3)), indexOf(c, sl_key_code(k3)), has(c, sl_key_code(k4)), indexOf(c, sl_key_code(k4)),
    indexOf(c, sl_key_code(k5))));

-- The map-based context functions of 0001 are read by nothing any more.
DROP FUNCTION IF EXISTS sl_session;
DROP FUNCTION IF EXISTS sl_user;
DROP FUNCTION IF EXISTS sl_agent;
DROP FUNCTION IF EXISTS sl_agent_version;
