-- The {size} most expensive sessions of {tenant} that started in [{week_start}, {week_end}), tenant-wide or
-- of one agent, ranked as the weekly review ranks them (cost descending, then session id): what the review
-- page shows for a week the weekly review has not stored yet (the week in progress).
SELECT toUInt16(row_number() OVER (ORDER BY cost_usd DESC, session_id)) AS rank, session_id, agent_name, agent_version,
       environment, user_id, outcome, first_start, duration_ns / 1e6 AS duration_ms, cost_usd, input_tokens,
       output_tokens, spans, model_calls + tool_calls AS steps, model_calls, tool_calls, unpriced_spans
FROM
(
    SELECT * FROM sessions FINAL
    WHERE tenant = {tenant:String}
      AND first_start >= {week_start:DateTime64(9)} AND first_start < {week_end:DateTime64(9)}
      AND ({any_agent:UInt8} OR agent_name = {agent:String})
    ORDER BY cost_usd DESC, session_id
    LIMIT {size:UInt16}
    SETTINGS do_not_merge_across_partitions_select_final = 1
)
ORDER BY rank
