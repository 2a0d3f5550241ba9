-- The traces a context repair run rewrites, touched since {since}: those with a gap noted within the window and a
-- session named by now (session_gap: the root's value wins over the other spans'), and those in which more than
-- one agent names itself (multi_agent: sql/queries/repair_span_agents.sql). With it, what they name of user and
-- agent, and the stretch of time in which their spans that took context from elsewhere started.
INSERT INTO context_repair_traces
SELECT tenant, trace_id,
    if(max(root_session) != '', max(root_session), max(any_session)) AS session,
    if(max(root_user) != '', max(root_user), max(any_user)) AS user,
    if(max(root_agent) != '', max(root_agent), max(any_agent)) AS agent,
    if(max(root_agent_version) != '', max(root_agent_version), max(any_agent_version)) AS agent_version,
    min(inheriting_from) AS rewrite_from, max(inheriting_to) AS rewrite_to,
    max(gap_noted) >= {gaps_since:DateTime64(3)} AND session != '' AS session_gap,
    min(min_agent) < max(any_agent) AS multi_agent
FROM trace_context
WHERE (tenant, trace_id) IN (SELECT tenant, trace_id FROM trace_context WHERE touched >= {since:DateTime64(3)})
GROUP BY tenant, trace_id
HAVING rewrite_from <= rewrite_to AND (session_gap OR multi_agent)
