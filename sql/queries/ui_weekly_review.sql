-- The stored weekly review of {week} for {tenant}: tenant-wide ({scope} = '') or one agent's, as the
-- weekly review job reported it (jobs/weekly_review.py). session_agent: the session's agent (agent_name is the scope).
SELECT rank, session_id, session_agent, agent_version, environment, user_id, outcome, first_start,
       duration_ns / 1e6 AS duration_ms, cost_usd, input_tokens, output_tokens, spans, steps, model_calls,
       tool_calls, unpriced_spans, model_mix, top_spans, computed_at
FROM weekly_top_sessions FINAL
WHERE tenant = {tenant:String} AND week = {week:String} AND agent_name = {scope:String}
ORDER BY rank
