-- Call rollup rows of one agent for the sessions that started in [{since}, {until}), optionally of one version /
-- environment / segment, with the latency histogram as (key, value) pairs for merging in Polars. Its whole hours
-- [{hours_since}, {hours_until}) are their hour rows as stored; the partial hours around them are the calls of
-- the range's minutes (view rollup_call_minutes), added up per hour, kind and name and per hour and kind (the
-- '' rows).
SELECT agent_version, environment, segment, toDateTime64(bucket, 0, 'UTC') AS bucket, kind, name, calls, errors, duration_ns_sum,
       CAST(arrayZip(mapKeys(latency_hist), mapValues(latency_hist)), 'Array(Tuple(key UInt16, value UInt64))') AS latency_hist
FROM rollup_calls_live
WHERE tenant = {tenant:String} AND agent_name = {agent:String} AND grain = '1h'
  AND bucket >= {hours_since:DateTime64(9)} AND bucket < {hours_until:DateTime64(9)}
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
  AND ({any_segment:UInt8} OR segment = {segment:String})
UNION ALL
SELECT agent_version, environment, segment, bucket, kind, call_name, calls, errors, duration_ns_sum,
       CAST(arrayZip(hist.1, hist.2), 'Array(Tuple(key UInt16, value UInt64))') AS latency_hist
FROM
(
    SELECT agent_version, environment, segment, toDateTime64(bucket, 0, 'UTC') AS bucket, kind,
           if(grouping(name) = 0, name, '') AS call_name, count() AS calls, sum(failure) AS errors,
           sum(duration) AS duration_ns_sum, sumMap([sl_latency_key(duration, {gamma:Float64})], [toUInt64(1)]) AS hist
    FROM
    (
        SELECT agent_version, environment, segment, bucket, kind, name, duration, failure
        FROM rollup_call_minutes(since = {since:DateTime64(9)}, until = {until:DateTime64(9)})
        WHERE tenant = {tenant:String} AND agent_name = {agent:String}
          AND ({any_version:UInt8} OR agent_version = {version:String})
          AND ({any_environment:UInt8} OR environment = {environment:String})
          AND ({any_segment:UInt8} OR segment = {segment:String})
    )
    GROUP BY GROUPING SETS ((agent_version, environment, segment, bucket, kind, name), (agent_version, environment, segment, bucket, kind))
    HAVING kind = 'tool' OR grouping(name) = 0
)
