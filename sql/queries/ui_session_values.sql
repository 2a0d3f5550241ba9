-- Per-session values of the sessions of {tenant} that started in [{since}, {until}), optionally of one
-- agent / version / environment: what exact session percentiles over the range are computed from
-- (jobs/rollup_math.session_figures), and the cost-per-session distribution.
SELECT agent_name, agent_version, environment, segment, first_start, duration_ns, finished, outcome, cost_usd, spans,
       model_calls, tool_calls, error_spans, unpriced_spans, input_tokens, output_tokens, cache_read_tokens,
       cache_write_tokens, reasoning_tokens
FROM sessions FINAL
WHERE tenant = {tenant:String}
  AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
SETTINGS do_not_merge_across_partitions_select_final = 1
