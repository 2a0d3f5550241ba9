-- The live sessions that start in the dirty (tenant, hour) buckets {hours} (JSON [[tenant, unix hour]]),
-- with the per-session values the session rollups are computed from (jobs/rollup_math.py).
SELECT tenant, agent_name, agent_version, environment, segment, first_start, last_end, duration_ns, finished, outcome,
       cost_usd, spans, model_calls, tool_calls, error_spans, unpriced_spans, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, reasoning_tokens
FROM sessions FINAL
WHERE first_start >= {from:DateTime64(9)} AND first_start < {to:DateTime64(9)}
  AND (tenant, toStartOfHour(first_start)) IN
      (SELECT h.1, toDateTime(h.2, 'UTC') FROM (SELECT arrayJoin(JSONExtract({hours:String}, 'Array(Tuple(String, UInt32))')) AS h))
SETTINGS do_not_merge_across_partitions_select_final = 1
