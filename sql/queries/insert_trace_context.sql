-- Per trace of a batch: the context its spans name, and whether its spans were left without some of it
-- (no span of the trace in this batch named it). Feeds the context repair.
INSERT INTO trace_context (tenant, trace_id, session, user, agent, agent_version, first_start, gap_noted, last_seen)
SELECT
    {tenant:String},
    trace_id,
    max(tuple(if(ctx_session != '', 1 + is_root, 0), ctx_session)),
    max(tuple(if(ctx_user != '', 1 + is_root, 0), ctx_user)),
    max(tuple(if(ctx_agent != '', 1 + is_root, 0), ctx_agent)),
    max(tuple(if(ctx_version != '', 1 + is_root, 0), ctx_version)),
    fromUnixTimestamp64Nano(toInt64(min(start_ns)), 'UTC'),
    if(max(ctx_session) = '' OR max(ctx_agent) = '' OR max(ctx_user) = '' OR max(ctx_version) = '',
       now64(3), toDateTime64(0, 3, 'UTC')),
    now64(3)
FROM
(
    SELECT trace_id, start_ns, is_root, sl_session(a) AS ctx_session, sl_user(a) AS ctx_user,
           sl_agent(a) AS ctx_agent, sl_agent_version(a) AS ctx_version
    FROM
    (
        -- Context values are text: a map of string values alone is enough and cheaper.
        SELECT lower(hex(sp.trace_id)) AS trace_id, sp.start_time_unix_nano AS start_ns, length(sp.parent_span_id) = 0 AS is_root,
               mapFromArrays(arrayMap(kv -> kv.key, sp.attributes), arrayMap(kv -> ifNull(kv.value.string_value, ''), sp.attributes)) AS a
        FROM {source}
        ARRAY JOIN resource_spans AS rs
        ARRAY JOIN rs.scope_spans AS ss
        ARRAY JOIN ss.spans AS sp
        WHERE sl_span_problem(sp, {min_time_ns:UInt64}, {max_time_ns:UInt64}) = ''
    )
)
GROUP BY trace_id
