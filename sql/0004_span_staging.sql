-- The insert path's landing table: every parsed span of a batch, with its request index and, when it is
-- invalid, the reason. Null engine: rows only pass through to the materialized views below.
CREATE TABLE IF NOT EXISTS spans_staging AS spans
ENGINE = Null;

ALTER TABLE spans_staging ADD COLUMN IF NOT EXISTS batch_id String, ADD COLUMN IF NOT EXISTS request UInt32, ADD COLUMN IF NOT EXISTS reject_reason String, ADD COLUMN IF NOT EXISTS context_fallback UInt8;

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

CREATE MATERIALIZED VIEW IF NOT EXISTS spans_from_staging TO spans AS
SELECT tenant, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, duration_ns,
    status_code, status_message, service_name, service_version, environment, agent_name, agent_version,
    operation, provider, request_model, response_model, tool_name, session_id, user_id,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cost_source, scope_name, scope_version, attributes, resource_attributes, events, context_inherited
FROM spans_staging
WHERE reject_reason = '';

CREATE MATERIALIZED VIEW IF NOT EXISTS rejections_from_staging TO span_rejections AS
SELECT batch_id, request, trace_id, span_id, reject_reason AS reason
FROM spans_staging
WHERE reject_reason != '';
