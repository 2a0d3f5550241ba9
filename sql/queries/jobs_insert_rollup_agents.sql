-- Session rollup rows from the rollup job's frame (jobs/rollup_math.py).
INSERT INTO rollup_agents (
    tenant, agent_name, grain, bucket, agent_version, environment, segment, sessions, finished, running,
    resolved, escalated, failed, abandoned, success_rate, error_rate, handoff_rate, session_ms_p50,
    session_ms_p95, session_ms_p99, cost_finished_usd, cost_mean, cost_p50, cost_p95, cost_p99, cost_max,
    spend_usd, spans, model_calls, tool_calls, error_spans, unpriced_spans, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, reasoning_tokens, budget_cost_p95_usd, budget_daily_spend_usd,
    computed_at)
SELECT
    tenant, agent_name, grain, bucket, agent_version, environment, segment, sessions, finished, running,
    resolved, escalated, failed, abandoned, success_rate, error_rate, handoff_rate, session_ms_p50,
    session_ms_p95, session_ms_p99, cost_finished_usd, cost_mean, cost_p50, cost_p95, cost_p99, cost_max,
    spend_usd, spans, model_calls, tool_calls, error_spans, unpriced_spans, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, reasoning_tokens, budget_cost_p95_usd, budget_daily_spend_usd,
    computed_at
FROM {source}
-- A pass's rows are unique by key: sorting them for duplicates at insert (optimize_on_insert) would find none.
SETTINGS optimize_on_insert = 0
