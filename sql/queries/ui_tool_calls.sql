-- Tool calls per agent, version and tool of {tenant} at {grain} in [{since}, {until}), optionally of one
-- agent / version / environment: counts, errors and the merged latency histogram as (key, value) pairs
-- (jobs/percentiles.py reads percentiles from it).
SELECT agent_name, agent_version, tool, calls, errors, duration_ns_sum,
       CAST(arrayZip(mapKeys(hist), mapValues(hist)), 'Array(Tuple(key UInt16, value UInt64))') AS latency_hist
FROM
(
    SELECT agent_name, agent_version, name AS tool, sum(calls) AS calls, sum(errors) AS errors,
           sum(duration_ns_sum) AS duration_ns_sum, sumMap(latency_hist) AS hist
    FROM rollup_calls_live
    WHERE tenant = {tenant:String} AND grain = {grain:String} AND kind = 'tool' AND name != ''
      AND bucket >= {since:DateTime64(9)} AND bucket < {until:DateTime64(9)}
      AND ({any_agent:UInt8} OR agent_name = {agent:String})
      AND ({any_version:UInt8} OR agent_version = {version:String})
      AND ({any_environment:UInt8} OR environment = {environment:String})
    GROUP BY agent_name, agent_version, tool
)
ORDER BY agent_name, agent_version, calls DESC, tool
