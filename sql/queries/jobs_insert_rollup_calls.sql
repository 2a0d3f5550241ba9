-- Call rollups for the dirty (tenant, hour) buckets {hours} (JSON [[tenant, unix hour]]), both grains,
-- computed here because calls are ten times the sessions and only their aggregates need to exist:
-- per (agent, version, environment, segment of the session, bucket of the session's start, kind, name)
-- the calls, errors, total duration, exact nearest-rank p50/p95/p99 (rank ceil(p * n / 100) of the sorted
-- durations) and the latency histogram (key 1 + ceil(ln d / ln {gamma}), 0 for d = 0: jobs/percentiles.py).
-- name is '' for all calls of the kind, else the tool name. One join, one aggregation per minute and
-- tool, then four grouping sets over its rows (minute or hour, with or without the tool name). Spans are read FINAL (each call once)
-- from {from} to {spans_to}, the last end of those sessions.
INSERT INTO rollup_calls (tenant, agent_name, grain, bucket, agent_version, environment, segment, kind, name,
                          calls, errors, duration_ns_sum, ms_p50, ms_p95, ms_p99, latency_hist, computed_at)
WITH
    sessions_in AS
    (
        SELECT tenant, session_id, agent_name, agent_version, environment, segment, first_start
        FROM sessions FINAL
        WHERE first_start >= {from:DateTime64(9)} AND first_start < {to:DateTime64(9)}
          AND (tenant, toStartOfHour(first_start)) IN
              (SELECT h.1, toDateTime(h.2, 'UTC') FROM (SELECT arrayJoin(JSONExtract({hours:String}, 'Array(Tuple(String, UInt32))')) AS h))
    ),
    calls AS
    (
        SELECT tenant, session_id, duration_ns, toUInt64(status_code = 'ERROR') AS failed,
               if(operation = 'execute_tool', 'tool', 'model') AS kind,
               if(operation = 'execute_tool', if(tool_name = '', '(unnamed)', tool_name), '') AS tool
        FROM spans FINAL
        WHERE start_time >= {from:DateTime64(9)} AND start_time <= {spans_to:DateTime64(9)}
          AND operation IN ('chat', 'text_completion', 'embeddings', 'execute_tool')
    )
SELECT tenant, agent_name, grain, bucket, agent_version, environment, segment, kind, name, calls, errors,
       duration_ns_sum, ms_p50, ms_p95, ms_p99, latency_hist, computed_at
FROM
(
    SELECT
        tenant, agent_name, agent_version, environment, segment, kind, minute,
        toStartOfHour(minute) AS hour,
        if(grouping(minute) = 0, '1m', '1h') AS grain,
        if(grain = '1m', minute, hour) AS bucket,
        if(grouping(tool) = 0, tool, '') AS name,
        grouping(tool) AS all_tools,
        sum(minute_calls) AS calls,
        sum(minute_errors) AS errors,
        sum(minute_duration) AS duration_ns_sum,
        arraySort(groupArrayArray(durations)) AS sorted,
        sorted[greatest(1, intDiv(calls * 500 + 999, 1000))] / 1e6 AS ms_p50,
        sorted[greatest(1, intDiv(calls * 950 + 999, 1000))] / 1e6 AS ms_p95,
        sorted[greatest(1, intDiv(calls * 990 + 999, 1000))] / 1e6 AS ms_p99,
        arrayMap(d -> toUInt16(if(d = 0, 0, 1 + ceil(log(d) / log({gamma:Float64})))), sorted) AS keys,
        arrayFilter(i -> i = 1 OR keys[i] != keys[i - 1], arrayEnumerate(keys)) AS starts,
        mapFromArrays(arrayMap(i -> keys[i], starts),
                      arrayMap(j -> toUInt64(if(j < length(starts), starts[j + 1], length(keys) + 1) - starts[j]), arrayEnumerate(starts))) AS latency_hist,
        {computed_at:DateTime64(6)} AS computed_at
    FROM
    (
        -- First per minute and tool (the finest grain), then the four grouping sets over those rows.
        SELECT tenant, agent_name, agent_version, environment, segment, kind, tool,
               toStartOfMinute(first_start) AS minute,
               count() AS minute_calls, sum(failed) AS minute_errors, sum(duration_ns) AS minute_duration,
               groupArray(duration_ns) AS durations
        FROM calls
        INNER JOIN sessions_in USING (tenant, session_id)
        GROUP BY tenant, agent_name, agent_version, environment, segment, kind, tool, minute
    )
    GROUP BY GROUPING SETS (
        (tenant, agent_name, agent_version, environment, segment, minute, kind, tool),
        (tenant, agent_name, agent_version, environment, segment, minute, kind),
        (tenant, agent_name, agent_version, environment, segment, hour, kind, tool),
        (tenant, agent_name, agent_version, environment, segment, hour, kind))
)
WHERE kind = 'tool' OR all_tools = 1  -- model calls have no per-name rows
-- A pass's rows are unique by key: sorting them for duplicates at insert (optimize_on_insert) would find none.
SETTINGS do_not_merge_across_partitions_select_final = 1, optimize_on_insert = 0
