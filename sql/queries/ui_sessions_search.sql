-- Sessions of {tenant} that started in [{since}, {until}) matching the sessions page's filters, sorted by
-- {sort} (an allowlisted column, dashboards/sessions_data.py) descending when {descending}, at most {limit};
-- matches counts them all.
SELECT session_id, agent_name, agent_version, environment, user_id, outcome, first_start, duration_ns / 1e6 AS duration_ms,
       cost_usd, spans, model_calls + tool_calls AS steps, error_spans, input_tokens + output_tokens AS tokens,
       count() OVER () AS matches
FROM sessions FINAL
WHERE tenant = {tenant:String}
  AND first_start >= {since:DateTime64(9)} AND first_start < {until:DateTime64(9)}
  AND ({any_agent:UInt8} OR agent_name = {agent:String})
  AND ({any_version:UInt8} OR agent_version = {version:String})
  AND ({any_environment:UInt8} OR environment = {environment:String})
  AND ({outcome:String} = '' OR outcome = {outcome:String})
  AND ({user:String} = '' OR positionCaseInsensitive(user_id, {user:String}) > 0)
  AND ({session:String} = '' OR positionCaseInsensitive(session_id, {session:String}) > 0)
  AND cost_usd >= {min_cost:Float64} AND cost_usd <= {max_cost:Float64}
ORDER BY if({descending:UInt8}, {sort:Identifier}, NULL) DESC, if({descending:UInt8}, NULL, {sort:Identifier}) ASC, session_id
LIMIT {limit:UInt32}
SETTINGS do_not_merge_across_partitions_select_final = 1
