-- The {size} most expensive sessions that started in [{week_start}, {week_end}), per tenant (scope
-- agent '') and per (tenant, agent); ties by session id. Running sessions count with their cost so far.
WITH ranked AS
(
    SELECT tenant, session_id, agent_name AS session_agent, agent_version, environment, user_id, outcome,
           first_start, last_end, duration_ns, cost_usd, input_tokens, output_tokens, cache_read_tokens,
           cache_write_tokens, reasoning_tokens, spans, model_calls, tool_calls, unpriced_spans, agent_usage_counted
    FROM sessions FINAL
    WHERE first_start >= {week_start:DateTime64(9)} AND first_start < {week_end:DateTime64(9)}
    SETTINGS do_not_merge_across_partitions_select_final = 1
)
SELECT * FROM
(
    SELECT '' AS agent_name, row_number() OVER (PARTITION BY tenant ORDER BY cost_usd DESC, session_id) AS rank, *
    FROM ranked
    UNION ALL
    SELECT session_agent AS agent_name, row_number() OVER (PARTITION BY tenant, session_agent ORDER BY cost_usd DESC, session_id) AS rank, *
    FROM ranked
)
WHERE rank <= {size:UInt16}
ORDER BY tenant, agent_name, rank
