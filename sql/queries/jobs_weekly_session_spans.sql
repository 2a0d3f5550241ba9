-- For the weekly review's sessions {sessions} (JSON [[tenant, session id, agent usage counted]]): their
-- model mix (per model: calls, tokens, cost) and their 3 costliest spans among those that count toward the
-- session's cost (invoke_agent spans only when the session's usage came from them). Spans lie in
-- [{from}, {to}], the sessions' start and end.
WITH
    chosen AS
    (
        SELECT s.1 AS tenant, s.2 AS session_id, s.3 AS agent_usage_counted
        FROM (SELECT arrayJoin(JSONExtract({sessions:String}, 'Array(Tuple(String, String, UInt8))')) AS s)
    ),
    counted AS
    (
        SELECT sp.tenant AS tenant, sp.session_id AS session_id, span_id, name, operation, operation IN ('chat', 'text_completion', 'embeddings') AS is_model,
               if(response_model != '', response_model, request_model) AS model, tool_name, cost_usd,
               input_tokens + output_tokens AS tokens, duration_ns
        FROM spans AS sp FINAL
        INNER JOIN chosen ON sp.tenant = chosen.tenant AND sp.session_id = chosen.session_id
        WHERE sp.start_time >= {from:DateTime64(9)} AND sp.start_time <= {to:DateTime64(9)}
          AND (sp.tenant, sp.session_id) IN (SELECT tenant, session_id FROM chosen)
          AND (sp.operation != 'invoke_agent' OR chosen.agent_usage_counted = 1)
    )
SELECT * FROM
(
    SELECT 'span' AS part, tenant, session_id, span_id, name, operation, model, tool_name, cost_usd, tokens, duration_ns,
           toUInt64(1) AS calls
    FROM counted
    ORDER BY cost_usd DESC, tokens DESC, span_id
    LIMIT 3 BY tenant, session_id
)
UNION ALL
SELECT * FROM
(
    SELECT 'model' AS part, tenant, session_id, '' AS span_id, '' AS name, '' AS operation, model, '' AS tool_name,
           sum(cost_usd) AS cost_usd, sum(tokens) AS tokens, sum(duration_ns) AS duration_ns, count() AS calls
    FROM counted
    WHERE is_model
    GROUP BY tenant, session_id, model
)
