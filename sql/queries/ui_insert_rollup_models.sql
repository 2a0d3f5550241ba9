-- Model-call rollups of the (tenant, hour)s of {minutes} (JSON [[tenant, unix hour, [minute, ...]]]), both grains,
-- version {computed_at}: the model calls (chat, text_completion, embeddings) of the sessions that started in
-- those hours, grouped by the session's agent, version, environment and start bucket and by the call's model.
-- The listed minutes are read again: their sessions' calls, read FINAL (each call once) from {from}, the first
-- of them, to {spans_to}, the last end of the hours' sessions. The hours' other minutes keep their rows of the
-- current generation, copied into this one; each hour's row is the sum of its minutes' rows. So a pass reads
-- the spans of the minutes that changed, not of the whole hour. Calls find their session by a 128-bit hash of
-- (tenant, session_id): a fraction of the cost of joining on the strings (odds of a wrong match about 10^-20
-- with a billion sessions in a pass).
INSERT INTO rollup_models (tenant, agent_name, grain, bucket, agent_version, environment, model, calls, errors,
                           input_tokens, output_tokens, cost_usd, unpriced_calls, computed_at)
WITH
    dirty AS
    (
        SELECT h.1 AS tenant, toDateTime(h.2, 'UTC') AS hour, h.3 AS dirty_minutes
        FROM (SELECT arrayJoin(JSONExtract({minutes:String}, 'Array(Tuple(String, UInt32, Array(UInt8)))')) AS h)
    ),
    sessions_in AS
    (
        SELECT reinterpretAsUInt128(murmurHash3_128(tenant, session_id)) AS session_key, tenant, agent_name, agent_version,
               environment, toStartOfMinute(first_start) AS minute
        FROM sessions FINAL
        WHERE first_start >= {from:DateTime64(9)} AND first_start < {to:DateTime64(9)}
          AND (tenant, toStartOfHour(first_start), toUInt8(toMinute(first_start))) IN
              (SELECT tenant, hour, arrayJoin(dirty_minutes) FROM dirty)
    ),
    calls AS
    (
        SELECT reinterpretAsUInt128(murmurHash3_128(tenant, session_id)) AS session_key, toUInt64(status_code = 'ERROR') AS failed,
               input_tokens, output_tokens, cost_usd, toUInt64(cost_source = 'unpriced') AS unpriced,
               multiIf(request_model != '', request_model, response_model != '', response_model, '(unknown)') AS model
        FROM spans FINAL
        WHERE start_time >= {from:DateTime64(9)} AND start_time <= {spans_to:DateTime64(9)}
          AND operation IN ('chat', 'text_completion', 'embeddings')
    ),
    fresh AS
    (
        SELECT s.tenant AS tenant, s.agent_name AS agent_name, s.agent_version AS agent_version, s.environment AS environment,
               c.model AS model, s.minute AS minute, count() AS calls, sum(c.failed) AS errors, sum(c.input_tokens) AS input_tokens,
               sum(c.output_tokens) AS output_tokens, sum(c.cost_usd) AS cost_usd, sum(c.unpriced) AS unpriced_calls
        FROM calls AS c
        INNER JOIN sessions_in AS s USING (session_key)
        GROUP BY tenant, agent_name, agent_version, environment, model, minute
    ),
    kept AS
    (
        SELECT r.tenant AS tenant, r.agent_name AS agent_name, r.agent_version AS agent_version, r.environment AS environment,
               r.model AS model, r.bucket AS minute, r.calls AS calls, r.errors AS errors, r.input_tokens AS input_tokens,
               r.output_tokens AS output_tokens, r.cost_usd AS cost_usd, r.unpriced_calls AS unpriced_calls
        FROM rollup_models_live AS r
        INNER JOIN dirty AS d ON r.tenant = d.tenant AND toStartOfHour(r.bucket) = d.hour
        WHERE r.grain = '1m' AND NOT has(d.dirty_minutes, toUInt8(toMinute(r.bucket)))
          AND r.bucket >= {hours_from:DateTime64(9)} AND r.bucket < {to:DateTime64(9)}
    )
SELECT tenant, agent_name, if(grouping(minute) = 0, '1m', '1h') AS grain, if(grain = '1m', minute, hour) AS bucket,
       agent_version, environment, model, sum(calls) AS calls, sum(errors) AS errors, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd, sum(unpriced_calls) AS unpriced_calls,
       {computed_at:DateTime64(6)} AS computed_at
FROM
(
    SELECT *, toStartOfHour(minute) AS hour
    FROM (SELECT * FROM fresh UNION ALL SELECT * FROM kept)
)
GROUP BY GROUPING SETS (
    (tenant, agent_name, agent_version, environment, model, minute),
    (tenant, agent_name, agent_version, environment, model, hour))
-- A pass's rows are unique by key: sorting them for duplicates at insert (optimize_on_insert) would find none.
SETTINGS do_not_merge_across_partitions_select_final = 1, optimize_on_insert = 0
