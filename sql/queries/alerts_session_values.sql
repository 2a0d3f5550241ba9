-- Per-session values of the sessions that started in [{since}, {until}), optionally of one tenant / agent /
-- version / environment: what the threshold, regression and runaway-session rules compute their figures from
-- (the jobs' sessions table, never spans).
SELECT tenant, agent_name, agent_version, environment, segment, session_id, first_start, duration_ns, finished, outcome,
       cost_usd, model_calls, tool_calls, spans, error_spans, unpriced_spans, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, reasoning_tokens
FROM sessions FINAL
WHERE first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
  AND ({any_tenant:UInt8} OR tenant = {tenant:String})
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
SETTINGS do_not_merge_across_partitions_select_final = 1
