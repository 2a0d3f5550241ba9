-- The spans of one session that start in [{since}, {until}] (its row's first start and last end, so only
-- those days' partitions are read), each in its newest version. Not FINAL, which would read every granule
-- of those days: the session id and trace id skip indexes find the session's traces, the newest version of
-- each of their spans wins (ReplacingMergeTree's rule: highest ingested_at), and of those the spans whose
-- newest version is in this session are kept (the context repair can move a span to its named session).
SELECT trace_id, span_id, parent_span_id, name, kind, operation, start_time, end_time, duration_ns / 1e6 AS duration_ms,
       status_code, status_message, service_name, agent_name, agent_version, provider, request_model, response_model,
       tool_name, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
       cost_source, CAST(attributes, 'Map(String, String)') AS attributes,
       CAST(events, 'Array(Tuple(time DateTime64(9, \'UTC\'), name String, attributes Map(String, String)))') AS events
FROM
(
    SELECT *
    FROM spans
    WHERE tenant = {tenant:String} AND start_time >= {since:DateTime64(9)} AND start_time <= {until:DateTime64(9)}
      AND trace_id IN (SELECT trace_id FROM spans
                       WHERE tenant = {tenant:String} AND session_id = {session:String}
                         AND start_time >= {since:DateTime64(9)} AND start_time <= {until:DateTime64(9)})
    ORDER BY ingested_at DESC
    LIMIT 1 BY trace_id, span_id
)
WHERE session_id = {session:String}
ORDER BY start_time, span_id
