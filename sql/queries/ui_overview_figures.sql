-- The overview's session figures of {tenant}'s sessions that started in [{since}, {until}), optionally of one
-- agent / version / environment, in two groupings: per (agent, version) (level 'version') and per (agent,
-- {grain} bucket of the session start) (level 'bucket'). The same definitions as jobs/rollup_math.py
-- (tests/test_dashboards_data.py holds them to `spanledger metrics`): rates over finished sessions, exact
-- nearest-rank percentiles (rank ceil(p * n / 100)) of the finished sessions' latency (ns) and cost, spend of all.
SELECT level, agent_name, version_key AS agent_version, bucket, sessions, done AS finished, resolved_count AS resolved,
       if(done = 0, NULL, resolved_count / done) AS success_rate,
       if(done = 0, NULL, latencies[greatest(1, intDiv(done * 950 + 999, 1000))]) AS session_ns_p95,
       if(done = 0, NULL, costs[greatest(1, intDiv(done * 950 + 999, 1000))]) AS cost_p95,
       if(done = 0, NULL, costs[greatest(1, intDiv(done * 990 + 999, 1000))]) AS cost_p99,
       spend_usd, unpriced_total AS unpriced_spans
FROM
(
    SELECT
        if(grouping(start_bucket) = 0, 'bucket', 'version') AS level,
        agent_name,
        if(grouping(agent_version) = 0, agent_version, '') AS version_key,
        start_bucket AS bucket,
        count() AS sessions,
        countIf(finished = 1) AS done,
        countIf(finished = 1 AND outcome = 'resolved') AS resolved_count,
        arraySort(groupArrayIf(duration_ns, finished = 1)) AS latencies,
        arraySort(groupArrayIf(cost_usd, finished = 1)) AS costs,
        sum(cost_usd) AS spend_usd,
        sum(unpriced_spans) AS unpriced_total
    FROM
    (
        SELECT agent_name, agent_version, duration_ns, finished, outcome, cost_usd, unpriced_spans,
               if({grain:String} = '1m', toStartOfMinute(toDateTime(first_start, 'UTC')),
                  toStartOfHour(toDateTime(first_start, 'UTC'))) AS start_bucket
        FROM sessions FINAL
        WHERE tenant = {tenant:String}
          AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
          AND ({any_agent:UInt8} OR agent_name = {agent:String})
          AND ({any_version:UInt8} OR agent_version = {version:String})
          AND ({any_environment:UInt8} OR environment = {environment:String})
        SETTINGS do_not_merge_across_partitions_select_final = 1
    )
    GROUP BY GROUPING SETS ((agent_name, agent_version), (agent_name, start_bucket))
)
ORDER BY level, agent_name, agent_version, bucket
