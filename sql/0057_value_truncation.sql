-- Attribute values longer than SPANLEDGER_MAX_ATTRIBUTE_BYTES are cut there (on a UTF-8 boundary) and marked, so
-- one huge prompt cannot bloat the table (sql/queries/insert_otlp_spans.sql). The map is rebuilt from its values:
-- an if() between a rewritten map and the map as sent copied every map row by row (0.6 µs a span).
CREATE FUNCTION IF NOT EXISTS sl_truncate AS (v, n) -> if(length(v) > n,
    concat(toValidUTF8(substring(v, 1, n)), '…[truncated ', toString(length(v) - n), ' bytes]'), v);
CREATE FUNCTION IF NOT EXISTS sl_truncate_values AS (m, n) -> mapFromArrays(mapKeys(m), arrayMap(v -> sl_truncate(v, n), mapValues(m)));

-- Read by nothing any more: ingest/validate.py checks every span before it is spooled, and loads take them as spooled.
DROP FUNCTION IF EXISTS sl_span_problem;
