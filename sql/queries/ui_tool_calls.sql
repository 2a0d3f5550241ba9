-- Tool calls per agent, version and tool of {tenant} whose sessions started in [{since}, {until}), optionally of
-- one agent / version / environment: counts, errors and the merged latency histogram as (key, value) pairs
-- (jobs/percentiles.py reads percentiles from it). Hours inside the range add their rows' totals and histograms;
-- the range's partial hours add the calls of its minutes (view rollup_call_minutes), keyed by sl_latency_key.
SELECT agent_name, agent_version, tool, calls, errors, duration_ns_sum,
       CAST(arrayZip(hist.1, hist.2), 'Array(Tuple(key UInt16, value UInt64))') AS latency_hist
FROM
(
    SELECT agent_name, agent_version, tool, sum(part_calls) AS calls, sum(part_errors) AS errors,
           sum(part_duration) AS duration_ns_sum, sumMap(part_keys, part_counts) AS hist
    FROM
    (
        SELECT agent_name, agent_version, name AS tool, sum(calls) AS part_calls, sum(errors) AS part_errors,
               sum(duration_ns_sum) AS part_duration, mapKeys(sumMap(latency_hist)) AS part_keys,
               mapValues(sumMap(latency_hist)) AS part_counts
        FROM rollup_calls_live
        WHERE tenant = {tenant:String} AND grain = '1h' AND kind = 'tool' AND name != ''
          AND bucket >= {since:DateTime64(9)} AND bucket + INTERVAL 1 HOUR <= {until:DateTime64(9)}
          AND ({any_agent:UInt8} OR agent_name = {agent:String})
          AND ({any_version:UInt8} OR agent_version = {version:String})
          AND ({any_environment:UInt8} OR environment = {environment:String})
        GROUP BY agent_name, agent_version, name
        UNION ALL
        SELECT agent_name, agent_version, name AS tool, count() AS part_calls, sum(failure) AS part_errors,
               sum(duration) AS part_duration, sumMap([sl_latency_key(duration, {gamma:Float64})], [toUInt64(1)]).1 AS part_keys,
               sumMap([sl_latency_key(duration, {gamma:Float64})], [toUInt64(1)]).2 AS part_counts
        FROM rollup_call_minutes(since = {since:DateTime64(9)}, until = {until:DateTime64(9)})
        WHERE tenant = {tenant:String} AND kind = 'tool'
          AND ({any_agent:UInt8} OR agent_name = {agent:String})
          AND ({any_version:UInt8} OR agent_version = {version:String})
          AND ({any_environment:UInt8} OR environment = {environment:String})
        GROUP BY agent_name, agent_version, name
    )
    GROUP BY agent_name, agent_version, tool
)
ORDER BY agent_name, agent_version, calls DESC, tool
