-- An OTLP attribute list as a map, at most n entries of it (SPANLEDGER_MAX_ATTRIBUTES_PER_SPAN): the rest
-- are not stored, and spanledger.dropped_attributes says how many (OTel's dropped_attributes_count, kept).
CREATE FUNCTION IF NOT EXISTS sl_attributes_limited AS (kvs, n) -> if(length(kvs) <= n, sl_attributes(kvs),
    mapUpdate(sl_attributes(arraySlice(kvs, 1, n)), map('spanledger.dropped_attributes', toString(length(kvs) - n))));
