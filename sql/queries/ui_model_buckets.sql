-- Model-call rollup sums per bucket and model of {tenant} at {grain} in [{since}, {until}), optionally of
-- one agent / version / environment.
SELECT bucket, model, sum(calls) AS calls, sum(errors) AS errors, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd, sum(unpriced_calls) AS unpriced_calls
FROM rollup_models_live
WHERE tenant = {tenant:String} AND grain = {grain:String}
  AND bucket >= {since:DateTime64(9)} AND bucket < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
GROUP BY bucket, model
ORDER BY bucket, model
