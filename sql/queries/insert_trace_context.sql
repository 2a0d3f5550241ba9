-- Per trace of a batch: the context its spans name, and whether its spans were left without some of it
-- (no span of the trace in this batch named it). Feeds the context repair.
INSERT INTO trace_context (tenant, trace_id, session, user, agent, agent_version, first_start, gap_noted, last_seen)
SELECT
    {tenant:String},
    lower(hex(sp.trace_id)) AS trace_id,
    max(tuple(if(ctx_session != '', 1 + is_root, 0), ctx_session)),
    max(tuple(if(ctx_user != '', 1 + is_root, 0), ctx_user)),
    max(tuple(if(ctx_agent != '', 1 + is_root, 0), ctx_agent)),
    max(tuple(if(ctx_version != '', 1 + is_root, 0), ctx_version)),
    min(fromUnixTimestamp64Nano(toInt64(sp.start_time_unix_nano), 'UTC')),
    if(max(ctx_session) = '' OR max(ctx_agent) = '' OR max(ctx_user) = '' OR max(ctx_version) = '',
       now64(3), toDateTime64(0, 3, 'UTC')),
    now64(3)
FROM
(
    SELECT sp, sl_attributes(sp.attributes) AS a, sl_session(a) AS ctx_session, sl_user(a) AS ctx_user,
           sl_agent(a) AS ctx_agent, sl_agent_version(a) AS ctx_version, length(sp.parent_span_id) = 0 AS is_root
    FROM {source}
    ARRAY JOIN resource_spans AS rs
    ARRAY JOIN rs.scope_spans AS ss
    ARRAY JOIN ss.spans AS sp
    WHERE sl_span_problem(sp, {min_time_ns:UInt64}, {max_time_ns:UInt64}) = ''
)
GROUP BY trace_id
