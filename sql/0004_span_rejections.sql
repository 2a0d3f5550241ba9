-- Spans left out of a batch because they were invalid, with the reason: the source of OTLP
-- partial_success answers (read back per batch) and of the rejected-span audit. Kept a week.
CREATE TABLE IF NOT EXISTS span_rejections
(
    batch_id String,
    request UInt32,
    trace_id String,
    span_id String,
    reason String,
    rejected_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (batch_id, request)
TTL toDateTime(rejected_at) + INTERVAL 7 DAY;
