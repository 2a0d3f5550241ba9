-- SQL functions of the insert path, shared by every query that reads OTLP batches.
-- They are expanded inline by ClickHouse, so a constant map key keeps its fast lookup.

-- OTLP AnyValue tuples (as the Protobuf input format decodes them) as text. Scalars become their text;
-- arrays and key-value lists become JSON; a third level of nesting stays as base64 of its protobuf
-- bytes, prefixed with 'base64:' so it is never mistaken for text.
CREATE FUNCTION IF NOT EXISTS sl_leaf_json AS (v) -> multiIf(
    tupleElement(v, 'string_value') IS NOT NULL, toJSONString(assumeNotNull(tupleElement(v, 'string_value'))),
    tupleElement(v, 'bool_value') IS NOT NULL, if(assumeNotNull(tupleElement(v, 'bool_value')), 'true', 'false'),
    tupleElement(v, 'int_value') IS NOT NULL, toString(assumeNotNull(tupleElement(v, 'int_value'))),
    tupleElement(v, 'double_value') IS NOT NULL, toJSONString(assumeNotNull(tupleElement(v, 'double_value'))),
    tupleElement(v, 'bytes_value') IS NOT NULL, toJSONString(concat('base64:', base64Encode(assumeNotNull(tupleElement(v, 'bytes_value'))))),
    tupleElement(v, 'array_value') != '', toJSONString(concat('base64:', base64Encode(tupleElement(v, 'array_value')))),
    tupleElement(v, 'kvlist_value') != '', toJSONString(concat('base64:', base64Encode(tupleElement(v, 'kvlist_value')))),
    'null');

CREATE FUNCTION IF NOT EXISTS sl_anyvalue AS (v) -> multiIf(
    tupleElement(v, 'string_value') IS NOT NULL, assumeNotNull(tupleElement(v, 'string_value')),
    tupleElement(v, 'bool_value') IS NOT NULL, if(assumeNotNull(tupleElement(v, 'bool_value')), 'true', 'false'),
    tupleElement(v, 'int_value') IS NOT NULL, toString(assumeNotNull(tupleElement(v, 'int_value'))),
    tupleElement(v, 'double_value') IS NOT NULL, toString(assumeNotNull(tupleElement(v, 'double_value'))),
    tupleElement(v, 'bytes_value') IS NOT NULL, concat('base64:', base64Encode(assumeNotNull(tupleElement(v, 'bytes_value')))),
    notEmpty(tupleElement(tupleElement(v, 'array_value'), 'values')),
        concat('[', arrayStringConcat(arrayMap(x -> sl_leaf_json(x), tupleElement(tupleElement(v, 'array_value'), 'values')), ','), ']'),
    notEmpty(tupleElement(tupleElement(v, 'kvlist_value'), 'values')),
        concat('{', arrayStringConcat(arrayMap(kv -> concat(toJSONString(tupleElement(kv, 'key')), ':', sl_leaf_json(tupleElement(kv, 'value'))),
                                               tupleElement(tupleElement(v, 'kvlist_value'), 'values')), ','), '}'),
    '');

-- An OTLP attribute list as a map.
CREATE FUNCTION IF NOT EXISTS sl_attributes AS (kvs) -> mapFromArrays(arrayMap(kv -> tupleElement(kv, 'key'), kvs), arrayMap(kv -> sl_anyvalue(tupleElement(kv, 'value')), kvs));

-- The first non-empty value among the given keys: one row of the precedence table.
CREATE FUNCTION IF NOT EXISTS sl_pick2 AS (m, k1, k2) -> multiIf(m[k1] != '', m[k1], m[k2]);
CREATE FUNCTION IF NOT EXISTS sl_pick3 AS (m, k1, k2, k3) -> multiIf(m[k1] != '', m[k1], m[k2] != '', m[k2], m[k3]);
CREATE FUNCTION IF NOT EXISTS sl_pick4 AS (m, k1, k2, k3, k4) -> multiIf(m[k1] != '', m[k1], m[k2] != '', m[k2], m[k3] != '', m[k3], m[k4]);
CREATE FUNCTION IF NOT EXISTS sl_pick5 AS (m, k1, k2, k3, k4, k5) -> multiIf(m[k1] != '', m[k1], m[k2] != '', m[k2], m[k3] != '', m[k3], m[k4] != '', m[k4], m[k5]);

-- A token count from attribute text ('12', '12.0'); negative or garbage counts as 0.
CREATE FUNCTION IF NOT EXISTS sl_count AS (s) -> toUInt64(greatest(ifNull(toFloat64OrNull(s), 0), 0));

-- The price-table key of a model name: lower case, no provider prefix, no dated snapshot suffix.
CREATE FUNCTION IF NOT EXISTS sl_model_key AS (m) -> replaceRegexpOne(
    replaceRegexpOne(lower(trimBoth(m)), '^.*/', ''),
    '([-@](\\d{4}-\\d{2}-\\d{2}|\\d{8}|\\d{4})|-latest)$', '');

-- Why a span cannot be stored, or '' when it can. Spans with a problem are left out of the insert and
-- reported to the client through OTLP partial_success.
CREATE FUNCTION IF NOT EXISTS sl_span_problem AS (sp, min_ns, max_ns) -> multiIf(
    length(tupleElement(sp, 'trace_id')) != 16 OR tupleElement(sp, 'trace_id') = repeat('\0', 16),
        concat('trace_id must be 16 non-zero bytes, got ', toString(length(tupleElement(sp, 'trace_id')))),
    length(tupleElement(sp, 'span_id')) != 8 OR tupleElement(sp, 'span_id') = repeat('\0', 8),
        concat('span_id must be 8 non-zero bytes, got ', toString(length(tupleElement(sp, 'span_id')))),
    length(tupleElement(sp, 'parent_span_id')) NOT IN (0, 8),
        concat('parent_span_id must be empty or 8 bytes, got ', toString(length(tupleElement(sp, 'parent_span_id')))),
    tupleElement(sp, 'end_time_unix_nano') < tupleElement(sp, 'start_time_unix_nano'),
        'end_time_unix_nano is before start_time_unix_nano',
    tupleElement(sp, 'start_time_unix_nano') NOT BETWEEN min_ns AND max_ns,
        concat('start_time_unix_nano ', toString(tupleElement(sp, 'start_time_unix_nano')), ' is outside the accepted range'),
    '');

-- The context a span names itself (README, "Attribute resolution"); '' when it names none.
CREATE FUNCTION IF NOT EXISTS sl_session AS (a) -> sl_pick5(a, 'gen_ai.conversation.id', 'session.id',
    'traceloop.association.properties.session_id', 'langfuse.session.id', 'gen_ai.session.id');
CREATE FUNCTION IF NOT EXISTS sl_user AS (a) -> sl_pick4(a, 'user.id', 'enduser.id',
    'traceloop.association.properties.user_id', 'langfuse.user.id');
CREATE FUNCTION IF NOT EXISTS sl_agent AS (a) -> multiIf(a['gen_ai.agent.name'] != '', a['gen_ai.agent.name'],
    a['agent.name'] != '', a['agent.name'],
    a['traceloop.span.kind'] = 'agent', a['traceloop.entity.name'], '');
CREATE FUNCTION IF NOT EXISTS sl_agent_version AS (a) -> sl_pick3(a, 'gen_ai.agent.version', 'langfuse.version', 'agent.version');
