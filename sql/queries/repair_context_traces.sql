-- The traces a context repair run rewrites: touched since {since}, with a gap noted within the window, and a
-- session named by now (the root's value wins over the other spans'). With it, what they name of user and agent,
-- and the stretch of time in which their spans that took context from elsewhere started.
INSERT INTO context_repair_traces
SELECT tenant, trace_id,
    if(max(root_session) != '', max(root_session), max(any_session)) AS session,
    if(max(root_user) != '', max(root_user), max(any_user)) AS user,
    if(max(root_agent) != '', max(root_agent), max(any_agent)) AS agent,
    if(max(root_agent_version) != '', max(root_agent_version), max(any_agent_version)) AS agent_version,
    min(inheriting_from) AS rewrite_from, max(inheriting_to) AS rewrite_to
FROM trace_context
WHERE (tenant, trace_id) IN (SELECT tenant, trace_id FROM trace_context WHERE touched >= {since:DateTime64(3)})
GROUP BY tenant, trace_id
HAVING max(gap_noted) >= {gaps_since:DateTime64(3)} AND rewrite_from <= rewrite_to AND session != ''
