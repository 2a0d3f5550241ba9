-- Model-call rollups of the (tenant, hour)s {hours} (JSON [[tenant, unix hour]]), both grains, version
-- {computed_at}: the model calls (chat, text_completion, embeddings) of the sessions that started in those
-- hours, read FINAL (each call once) from {from} to the last end of those sessions, grouped by the
-- session's agent, version, environment and start bucket and by the call's model.
INSERT INTO rollup_models (tenant, agent_name, grain, bucket, agent_version, environment, model, calls, errors,
                           input_tokens, output_tokens, cost_usd, unpriced_calls, computed_at)
WITH
    sessions_in AS
    (
        SELECT tenant, session_id, agent_name, agent_version, environment, first_start
        FROM sessions FINAL
        WHERE first_start >= {from:DateTime64(9)} AND first_start < {to:DateTime64(9)}
          AND (tenant, toStartOfHour(first_start)) IN
              (SELECT h.1, toDateTime(h.2, 'UTC') FROM (SELECT arrayJoin(JSONExtract({hours:String}, 'Array(Tuple(String, UInt32))')) AS h))
    ),
    calls AS
    (
        SELECT tenant, session_id, toUInt64(status_code = 'ERROR') AS failed, input_tokens, output_tokens, cost_usd,
               toUInt64(cost_source = 'unpriced') AS unpriced,
               multiIf(request_model != '', request_model, response_model != '', response_model, '(unknown)') AS model
        FROM spans FINAL
        WHERE start_time >= {from:DateTime64(9)} AND start_time <= {spans_to:DateTime64(9)}
          AND operation IN ('chat', 'text_completion', 'embeddings')
    )
SELECT tenant, agent_name, if(grouping(minute) = 0, '1m', '1h') AS grain, if(grain = '1m', minute, hour) AS bucket,
       agent_version, environment, model, count() AS calls, sum(failed) AS errors, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd, sum(unpriced) AS unpriced_calls,
       {computed_at:DateTime64(6)} AS computed_at
FROM
(
    SELECT calls.*, sessions_in.agent_name AS agent_name, sessions_in.agent_version AS agent_version,
           sessions_in.environment AS environment, toStartOfMinute(sessions_in.first_start) AS minute,
           toStartOfHour(sessions_in.first_start) AS hour
    FROM calls
    INNER JOIN sessions_in USING (tenant, session_id)
)
GROUP BY GROUPING SETS (
    (tenant, agent_name, agent_version, environment, model, minute),
    (tenant, agent_name, agent_version, environment, model, hour))
-- A pass's rows are unique by key: sorting them for duplicates at insert (optimize_on_insert) would find none.
SETTINGS do_not_merge_across_partitions_select_final = 1, optimize_on_insert = 0
