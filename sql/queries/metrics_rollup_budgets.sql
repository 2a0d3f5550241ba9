-- Spend and budgets of one agent for the sessions that started in [{since}, {until}), optionally of one version /
-- environment / segment: its whole hours [{hours_since}, {hours_until}) from the hourly session rollups, the
-- partial hours around them from the sessions of the range's minutes (spend) with the budgets of their hour's
-- rollup row.
SELECT agent_version, environment, segment, toDateTime64(bucket, 0, 'UTC') AS bucket, spend_usd, budget_cost_p95_usd,
       budget_daily_spend_usd
FROM rollup_agents_live
WHERE tenant = {tenant:String} AND agent_name = {agent:String} AND grain = '1h'
  AND bucket >= {hours_since:DateTime64(9)} AND bucket < {hours_until:DateTime64(9)}
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
  AND ({any_segment:UInt8} OR segment = {segment:String})
UNION ALL
SELECT agent_version, environment, segment, toDateTime64(hour, 0, 'UTC') AS bucket, spend_usd, budget_cost_p95_usd,
       budget_daily_spend_usd
FROM
(
    SELECT agent_version, environment, segment, toDateTime(toStartOfHour(first_start), 'UTC') AS hour, sum(cost_usd) AS spend_usd
    FROM sessions FINAL
    WHERE tenant = {tenant:String} AND agent_name = {agent:String}
      AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
      AND NOT (first_start >= {hours_since:DateTime64(9)} AND first_start < {hours_until:DateTime64(9)})
      AND ({any_version:UInt8} OR agent_version = {version:String})
      AND ({any_environment:UInt8} OR environment = {environment:String})
      AND ({any_segment:UInt8} OR segment = {segment:String})
    GROUP BY agent_version, environment, segment, hour
    SETTINGS do_not_merge_across_partitions_select_final = 1
) AS edges
INNER JOIN
(
    SELECT agent_version, environment, segment, bucket AS hour, budget_cost_p95_usd, budget_daily_spend_usd
    FROM rollup_agents_live
    WHERE tenant = {tenant:String} AND agent_name = {agent:String} AND grain = '1h'
      AND bucket >= toStartOfHour({since:DateTime64(9)}) AND bucket < {until:DateTime64(9)}
) AS hours USING (agent_version, environment, segment, hour)
