-- Session rollup sums per hour, agent and version of {tenant} (grain {grain}: 1h) in [{since}, {until}),
-- optionally of one agent / version / environment: counts and spend add across buckets, environments
-- and segments (percentiles do not, and are not read here).
SELECT bucket, agent_name, agent_version, sum(sessions) AS sessions, sum(finished) AS finished,
       sum(resolved) AS resolved, sum(spend_usd) AS spend_usd, sum(model_calls) AS model_calls,
       sum(unpriced_spans) AS unpriced_spans, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
FROM rollup_agents_live
WHERE tenant = {tenant:String} AND grain = {grain:String}
  AND bucket >= {since:DateTime64(9)} AND bucket < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY bucket, agent_name, agent_version
ORDER BY bucket, agent_name, agent_version
