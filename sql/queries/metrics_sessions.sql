-- Per-session values of one agent's sessions that started in [{since}, {until}), optionally of one
-- version / environment / segment: what exact session percentiles over any range are computed from.
SELECT agent_version, environment, segment, first_start, duration_ns, finished, outcome, cost_usd, spans,
       model_calls, tool_calls, error_spans, unpriced_spans, input_tokens, output_tokens, cache_read_tokens,
       cache_write_tokens, reasoning_tokens
FROM sessions FINAL
WHERE tenant = {tenant:String} AND agent_name = {agent:String}
  AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
  AND ({any_segment:UInt8} OR segment = {segment:String})
SETTINGS do_not_merge_across_partitions_select_final = 1
