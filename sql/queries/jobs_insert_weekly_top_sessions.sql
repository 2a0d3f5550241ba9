-- Weekly review rows from the weekly review job's frame (jobs/weekly_review.py).
INSERT INTO weekly_top_sessions (
    tenant, week, agent_name, rank, session_id, session_agent, agent_version, environment, user_id, outcome,
    first_start, duration_ns, cost_usd, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    reasoning_tokens, spans, steps, model_calls, tool_calls, unpriced_spans, model_mix, top_spans, computed_at, is_deleted)
SELECT
    tenant, week, agent_name, rank, session_id, session_agent, agent_version, environment, user_id, outcome,
    first_start, duration_ns, cost_usd, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    reasoning_tokens, spans, steps, model_calls, tool_calls, unpriced_spans, model_mix, top_spans, computed_at, 0
FROM {source}
-- A pass's rows are unique by key: sorting them for duplicates at insert (optimize_on_insert) would find none.
SETTINGS optimize_on_insert = 0
