-- Render OTLP AnyValue tuples (as the Protobuf input format decodes them) into strings.
-- Scalars become their text; arrays and key-value lists become JSON; a third level of nesting
-- stays as base64 of its protobuf bytes, prefixed with 'base64:' so it is never mistaken for text.
CREATE FUNCTION IF NOT EXISTS sl_leaf_json AS (v) -> multiIf(
    tupleElement(v, 'string_value') IS NOT NULL, toJSONString(assumeNotNull(tupleElement(v, 'string_value'))),
    tupleElement(v, 'bool_value') IS NOT NULL, if(assumeNotNull(tupleElement(v, 'bool_value')), 'true', 'false'),
    tupleElement(v, 'int_value') IS NOT NULL, toString(tupleElement(v, 'int_value')),
    tupleElement(v, 'double_value') IS NOT NULL, toJSONString(assumeNotNull(tupleElement(v, 'double_value'))),
    tupleElement(v, 'bytes_value') IS NOT NULL, toJSONString(concat('base64:', base64Encode(assumeNotNull(tupleElement(v, 'bytes_value'))))),
    tupleElement(v, 'array_value') != '', toJSONString(concat('base64:', base64Encode(tupleElement(v, 'array_value')))),
    tupleElement(v, 'kvlist_value') != '', toJSONString(concat('base64:', base64Encode(tupleElement(v, 'kvlist_value')))),
    'null');

CREATE FUNCTION IF NOT EXISTS sl_anyvalue AS (v) -> multiIf(
    tupleElement(v, 'string_value') IS NOT NULL, assumeNotNull(tupleElement(v, 'string_value')),
    tupleElement(v, 'bool_value') IS NOT NULL, if(assumeNotNull(tupleElement(v, 'bool_value')), 'true', 'false'),
    tupleElement(v, 'int_value') IS NOT NULL, toString(tupleElement(v, 'int_value')),
    tupleElement(v, 'double_value') IS NOT NULL, toString(tupleElement(v, 'double_value')),
    tupleElement(v, 'bytes_value') IS NOT NULL, concat('base64:', base64Encode(assumeNotNull(tupleElement(v, 'bytes_value')))),
    notEmpty(tupleElement(tupleElement(v, 'array_value'), 'values')),
        concat('[', arrayStringConcat(arrayMap(x -> sl_leaf_json(x), tupleElement(tupleElement(v, 'array_value'), 'values')), ','), ']'),
    notEmpty(tupleElement(tupleElement(v, 'kvlist_value'), 'values')),
        concat('{', arrayStringConcat(arrayMap(kv -> concat(toJSONString(tupleElement(kv, 'key')), ':', sl_leaf_json(tupleElement(kv, 'value'))),
                                               tupleElement(tupleElement(v, 'kvlist_value'), 'values')), ','), '}'),
    '');

-- First non-empty value among the given keys of an attribute map: the precedence table in one function.
CREATE FUNCTION IF NOT EXISTS sl_first AS (m, keys) -> ifNull(arrayFirst(x -> x != '', arrayMap(k -> m[k], keys)), '');

-- A token count from attribute text ('12', '12.0'); negative or garbage counts as 0.
CREATE FUNCTION IF NOT EXISTS sl_count AS (s) -> toUInt64(greatest(ifNull(toFloat64OrNull(s), 0), 0));

-- The price-table key of a model name: lower case, no provider prefix, no dated snapshot suffix.
CREATE FUNCTION IF NOT EXISTS sl_model_key AS (m) -> replaceRegexpOne(
    replaceRegexpOne(lower(trimBoth(m)), '^.*/', ''),
    '([-@](\\d{4}-\\d{2}-\\d{2}|\\d{8}|\\d{4})|-latest)$', '');
