-- Tool calls per agent, version and tool of {tenant} whose sessions started in [{since}, {until}), optionally of
-- one agent / version / environment: counts, errors and the merged latency histogram as (key, value) pairs
-- (jobs/percentiles.py reads percentiles from it). Hours inside the range add their rows' totals and histograms,
-- the range's partial hours the calls of its minutes (the rows' per-call arrays, keyed by sl_latency_key).
SELECT agent_name, agent_version, tool, calls, errors, duration_ns_sum,
       CAST(arrayZip(hist.1, hist.2), 'Array(Tuple(key UInt16, value UInt64))') AS latency_hist
FROM
(
    SELECT agent_name, agent_version, tool, sum(part_calls) AS calls, sum(part_errors) AS errors,
           sum(part_duration) AS duration_ns_sum, sumMap(part_keys, part_counts) AS hist
    FROM
    (
        SELECT agent_name, agent_version, name AS tool,
               bucket >= {since:DateTime64(9)} AND bucket + INTERVAL 1 HOUR <= {until:DateTime64(9)} AS whole,
               arrayMap(m -> bucket + m * 60 >= {since:DateTime64(9)} AND bucket + m * 60 < {until:DateTime64(9)}, minutes) AS inside,
               arrayFilter((d, keep) -> keep, durations_ns, inside) AS durations,
               if(whole, calls, length(durations)) AS part_calls,
               if(whole, errors, arraySum((f, keep) -> f * keep, failures, inside)) AS part_errors,
               if(whole, duration_ns_sum, arraySum(durations)) AS part_duration,
               if(whole, mapKeys(latency_hist), arrayMap(d -> sl_latency_key(d, {gamma:Float64}), durations)) AS part_keys,
               if(whole, mapValues(latency_hist), arrayMap(d -> toUInt64(1), durations)) AS part_counts
        FROM rollup_calls_live
        WHERE tenant = {tenant:String} AND grain = '1h' AND kind = 'tool' AND name != ''
          AND bucket >= toStartOfHour({since:DateTime64(9)}) AND bucket < {until:DateTime64(9)}
          AND ({any_agent:UInt8} OR agent_name = {agent:String})
          AND ({any_version:UInt8} OR agent_version = {version:String})
          AND ({any_environment:UInt8} OR environment = {environment:String})
    )
    WHERE part_calls > 0
    GROUP BY agent_name, agent_version, tool
)
ORDER BY agent_name, agent_version, calls DESC, tool
