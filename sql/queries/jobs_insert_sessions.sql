-- Session rows from the session job's frame (jobs/session_rules.py), tombstones included.
INSERT INTO sessions (
    tenant, session_id, agent_name, agent_version, environment, segment, user_id, root_span_id,
    first_start, last_end, duration_ns, traces, spans, model_calls, tool_calls, error_spans, handoffs,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
    unpriced_spans, agent_usage_counted, finished, outcome, prev_first_start, computed_at, is_deleted)
SELECT
    tenant, session_id, agent_name, agent_version, environment, segment, user_id, root_span_id,
    first_start, last_end, duration_ns, traces, spans, model_calls, tool_calls, error_spans, handoffs,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
    unpriced_spans, agent_usage_counted, finished, outcome, prev_first_start, computed_at, is_deleted
FROM {source}
-- A pass's rows are unique by key: sorting them for duplicates at insert (optimize_on_insert) would find none.
SETTINGS optimize_on_insert = 0
