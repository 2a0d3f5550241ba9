-- A stored weekly review: the most expensive sessions of {week} for {tenant}, tenant-wide ({agent} = '')
-- or for one agent, as the weekly review job reported them.
SELECT rank, session_id, session_agent AS agent, agent_version, environment, user_id, outcome, first_start,
       duration_ns / 1e6 AS duration_ms, cost_usd, input_tokens, output_tokens, cache_read_tokens,
       cache_write_tokens, reasoning_tokens, spans, steps, model_calls, tool_calls, unpriced_spans,
       model_mix, top_spans, computed_at
FROM weekly_top_sessions FINAL
WHERE tenant = {tenant:String} AND week = {week:String} AND agent_name = {agent:String}
ORDER BY rank
