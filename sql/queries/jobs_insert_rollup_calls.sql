-- Call rollups for the dirty (tenant, hour) buckets, computed here because calls are ten times the sessions and
-- only their aggregates need to exist: per (agent, version, environment, segment of the session, hour of the
-- session's start, kind, name) the calls, errors, total duration, exact nearest-rank p50/p95/p99 (rank
-- ceil(p * n / 100) of the sorted durations) and the latency histogram (sl_latency_key, jobs/percentiles.py).
-- name is '' for all calls of the kind, else the tool name; model calls have only the '' row. Each row of one
-- kind and name (model calls, and tools per name) also keeps its calls, in (minute, duration) order, as the
-- arrays minutes, durations_ns and failures (sql/0020_rollup_calls_minute_detail.sql): what ranges that end
-- within an hour are read from.
-- {minutes} (JSON [[tenant, unix hour, [minute, ...]]]) names, per hour, the minutes whose calls are read again
-- from spans: those of the sessions that start in them. The calls of the hour's other minutes are taken from its
-- current generation's arrays, so a pass reads the spans of the minutes that changed, not of the whole hour
-- (jobs/rollups.py). Spans are read FINAL (each call once) from {from}, the first of those minutes, to
-- {spans_to}, the last end of the hours' sessions.
-- Each call is packed into one UInt64 (minute << 58 | duration << 1 | failed): one array sorts by minute, then
-- duration. Each call carries only its session's group through the join: the group (gid) is a 128-bit hash of
-- the session's tenant, agent, version, environment, segment and hour, whose values join back onto the
-- aggregated rows. Calls find their session by a 128-bit hash of (tenant, session_id). Both cost a fraction of
-- carrying and grouping by the strings; a wrong match needs two keys to collide (odds about 10^-20 with a
-- billion sessions in a pass).
INSERT INTO rollup_calls (tenant, agent_name, grain, bucket, agent_version, environment, segment, kind, name,
                          calls, errors, duration_ns_sum, ms_p50, ms_p95, ms_p99, latency_hist,
                          minutes, durations_ns, failures, computed_at)
WITH
    0x1FFFFFFFFFFFFFF AS duration_mask,
    dirty AS
    (
        SELECT h.1 AS tenant, toDateTime(h.2, 'UTC') AS hour, h.3 AS dirty_minutes
        FROM (SELECT arrayJoin(JSONExtract({minutes:String}, 'Array(Tuple(String, UInt32, Array(UInt8)))')) AS h)
    ),
    sessions_in AS
    (
        SELECT reinterpretAsUInt128(murmurHash3_128(tenant, session_id)) AS session_key,
               reinterpretAsUInt128(murmurHash3_128(tenant, agent_name, agent_version, environment, segment, toStartOfHour(first_start))) AS gid,
               tenant, agent_name, agent_version, environment, segment, first_start
        FROM sessions FINAL
        WHERE first_start >= {from:DateTime64(9)} AND first_start < {to:DateTime64(9)}
          AND (tenant, toStartOfHour(first_start), toUInt8(toMinute(first_start))) IN
              (SELECT tenant, hour, arrayJoin(dirty_minutes) FROM dirty)
    ),
    calls AS
    (
        SELECT reinterpretAsUInt128(murmurHash3_128(tenant, session_id)) AS session_key, duration_ns, toUInt64(status_code = 'ERROR') AS failed,
               if(operation = 'execute_tool', 'tool', 'model') AS kind,
               if(operation = 'execute_tool', if(tool_name = '', '(unnamed)', tool_name), '') AS tool
        FROM spans FINAL
        WHERE start_time >= {from:DateTime64(9)} AND start_time <= {spans_to:DateTime64(9)}
          AND operation IN ('chat', 'text_completion', 'embeddings', 'execute_tool')
    ),
    session_groups AS
    (
        SELECT session_key, gid, toUInt8(toMinute(first_start)) AS minute
        FROM sessions_in
    ),
    groups AS
    (
        SELECT gid, any(tenant) AS tenant, any(agent_name) AS agent_name, any(agent_version) AS agent_version,
               any(environment) AS environment, any(segment) AS segment, any(toStartOfHour(first_start)) AS hour
        FROM sessions_in GROUP BY gid
    ),
    fresh AS
    (
        SELECT gid, kind, tool,
               groupArray(bitOr(bitOr(bitShiftLeft(toUInt64(minute), 58), bitShiftLeft(least(duration_ns, duration_mask), 1)), failed)) AS detail
        FROM calls
        INNER JOIN session_groups USING (session_key)
        GROUP BY gid, kind, tool
    ),
    kept AS
    (
        SELECT r.tenant AS tenant, r.agent_name AS agent_name, r.agent_version AS agent_version, r.environment AS environment,
               r.segment AS segment, r.bucket AS hour, r.kind AS kind, r.name AS name,
               arrayFilter(call -> NOT has(d.dirty_minutes, toUInt8(bitShiftRight(call, 58))),
                           arrayMap((m, ns, f) -> bitOr(bitOr(bitShiftLeft(toUInt64(m), 58), bitShiftLeft(ns, 1)), toUInt64(f)),
                                    r.minutes, r.durations_ns, r.failures)) AS detail
        FROM rollup_calls_live AS r
        INNER JOIN dirty AS d ON r.tenant = d.tenant AND r.bucket = d.hour
        WHERE r.grain = '1h' AND (r.kind = 'model' OR r.name != '')
          AND r.bucket >= {hours_from:DateTime64(9)} AND r.bucket < {to:DateTime64(9)}
    )
SELECT tenant, agent_name, grain, bucket, agent_version, environment, segment, kind, name, calls, errors, duration_ns_sum,
       ms_p50, ms_p95, ms_p99, latency_hist, minutes, durations_ns, failures, computed_at
FROM
(
    SELECT
        tenant, agent_name, '1h' AS grain, hour AS bucket, agent_version, environment, segment, kind, name,
        length(detail) AS calls,
        arraySum(call -> bitAnd(call, 1), detail) AS errors,
        arraySum(call -> bitAnd(bitShiftRight(call, 1), duration_mask), detail) AS duration_ns_sum,
        arraySort(arrayMap(call -> bitAnd(bitShiftRight(call, 1), duration_mask), detail)) AS sorted,
        sorted[greatest(1, intDiv(calls * 500 + 999, 1000))] / 1e6 AS ms_p50,
        sorted[greatest(1, intDiv(calls * 950 + 999, 1000))] / 1e6 AS ms_p95,
        sorted[greatest(1, intDiv(calls * 990 + 999, 1000))] / 1e6 AS ms_p99,
        arrayMap(ns -> sl_latency_key(ns, {gamma:Float64}), sorted) AS keys,
        arrayFilter(i -> i = 1 OR keys[i] != keys[i - 1], arrayEnumerate(keys)) AS starts,
        mapFromArrays(arrayMap(i -> keys[i], starts),
                      arrayMap(j -> toUInt64(if(j < length(starts), starts[j + 1], length(keys) + 1) - starts[j]), arrayEnumerate(starts))) AS latency_hist,
        if(all_tools = 1, [], arraySort(detail)) AS ordered,  -- the all-tools row keeps no arrays: nothing to order
        arrayMap(call -> toUInt8(bitShiftRight(call, 58)), ordered) AS minutes,
        arrayMap(call -> bitAnd(bitShiftRight(call, 1), duration_mask), ordered) AS durations_ns,
        arrayMap(call -> toUInt8(bitAnd(call, 1)), ordered) AS failures,
        {computed_at:DateTime64(6)} AS computed_at
    FROM
    (
        -- Each kind and name, and all tool calls of a group together (the set without name).
        SELECT tenant, agent_name, agent_version, environment, segment, hour, kind,
               if(grouping(tool) = 0, tool, '') AS name, grouping(tool) AS all_tools,
               arrayFlatten(groupArray(detail)) AS detail
        FROM
        (
            SELECT g.tenant AS tenant, g.agent_name AS agent_name, g.agent_version AS agent_version, g.environment AS environment,
                   g.segment AS segment, g.hour AS hour, f.kind AS kind, f.tool AS tool, f.detail AS detail
            FROM fresh AS f INNER JOIN groups AS g USING (gid)
            UNION ALL
            SELECT tenant, agent_name, agent_version, environment, segment, hour, kind, name AS tool, detail
            FROM kept WHERE notEmpty(detail)
        )
        GROUP BY GROUPING SETS ((tenant, agent_name, agent_version, environment, segment, hour, kind, tool),
                                (tenant, agent_name, agent_version, environment, segment, hour, kind))
        HAVING kind = 'tool' OR all_tools = 0  -- model calls: only the row by name (its name is ''), which has the arrays
    )
)
SETTINGS do_not_merge_across_partitions_select_final = 1, optimize_on_insert = 0
