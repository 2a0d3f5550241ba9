-- One session's row (tenant and session id are the sessions table's sort key).
SELECT session_id, agent_name, agent_version, environment, segment, user_id, root_span_id, first_start, last_end,
       duration_ns / 1e6 AS duration_ms, traces, spans, model_calls, tool_calls, error_spans, handoffs, input_tokens,
       output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, unpriced_spans, finished, outcome
FROM sessions FINAL
WHERE tenant = {tenant:String} AND session_id = {session:String}
