-- One row per session of a pass with what the session rules (jobs/session_rules.py) need, aggregated
-- here over every span of the session (FINAL: a re-sent or repaired span counts once, in its newest
-- version), so only one row per session reaches Polars. The pass is either the touched sessions (view
-- touched_sessions), whose spans all lie in [{scan_from}, {scan_to}), joined with the row `sessions`
-- holds now for the same keys (in_prev, prev_first_start; keys that lost their spans come back with
-- in_spans = 0); or, with {everything} = 1, every session with spans in that range, without that join
-- (sql/queries/jobs_tombstone_stale_sessions.sql then retires what the pass did not rewrite).
-- The touched keys are matched by hash, which costs a third of matching the (tenant, session_id) strings (5.6 s of
-- CPU against 3.8 for the sessions of 2 M spans): 64 bits for the spans, where a collision only recomputes one more
-- session (the same row again); 128 bits for `sessions` (view touched_session_rows), where a collision would make a
-- tombstone of a session whose spans lie outside the range (odds about 10^-20 a pass with a billion sessions stored).
-- The attribute maps are read only for the spans that carry one of the configured segment, outcome or handoff
-- keys ({marked_keys}; CTE marked, a PREWHERE on the maps' keys): reading every span's map took 28% of the query.
-- A span's versions carry the same attributes (a repair copies them), so the PREWHERE keeps all of them or none,
-- and the newest version still gives the session.
WITH
    JSONExtract({segment_keys:String}, 'Array(String)') AS segment_keys,
    JSONExtract({outcome_keys:String}, 'Array(String)') AS outcome_keys,
    JSONExtract({handoff_keys:String}, 'Array(String)') AS handoff_keys,
    touched AS
    (
        SELECT cityHash64(tenant, session_id)
        FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                              start_to = {start_to:DateTime64(9)})
    ),
    prev AS
    (
        SELECT tenant, session_id, stored_start AS prev_first_start, 1 AS in_prev
        FROM touched_session_rows(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                                  start_to = {start_to:DateTime64(9)})
        WHERE NOT {everything:UInt8}
          AND reinterpretAsUInt128(murmurHash3_128(tenant, session_id)) IN
              (SELECT reinterpretAsUInt128(murmurHash3_128(tenant, session_id))
               FROM touched_sessions(ingested_since = {ingested_since:DateTime64(6)}, start_from = {start_from:DateTime64(9)},
                                     start_to = {start_to:DateTime64(9)}))
    ),
    agg AS
    (
        SELECT
            tenant,
            session_id,
            -- The first root span (else the first span) gives the session its context: one integer key,
            -- roots first, then by start (spans starting in the same nanosecond: either).
            min(first_key) AS first_key_min,
            argMin(span_id, first_key) AS first_span_id,
            -- Its agent is the first one a span names itself (bit 4 of context_inherited unset), with that span's
            -- version: the root's when it names one, else the agent that started first. A workflow root naming
            -- none (the OpenAI Agents SDK's "Agent workflow") is so owned by its entry agent, not by the largest
            -- name its spans took from the trace, which made a session that handed off from triage to billing
            -- billing's and one that did not triage's.
            countIf(NOT bitTest(context_inherited, 2)) > 0 AS names_agent,
            if(names_agent, argMinIf(agent_name, first_key, NOT bitTest(context_inherited, 2)), argMin(agent_name, first_key)) AS agent_name,
            if(names_agent, argMinIf(agent_version, first_key, NOT bitTest(context_inherited, 2)), argMin(agent_version, first_key)) AS agent_version,
            argMin(environment, first_key) AS environment,
            argMin(user_id, first_key) AS user_id,
            -- The root span that ended last gives the session its final status.
            argMaxIf(status_code, end_ns, parent_span_id = '') AS final_root_status,
            uniqExact(cityHash64(trace_id)) AS traces,
            uniqExactIf(cityHash64(trace_id), parent_span_id = '') AS rooted_traces,
            min(start_time) AS first_start,
            max(end_time) AS last_end,
            count() AS spans,
            countIf(operation IN ('chat', 'text_completion', 'embeddings')) AS model_calls,
            countIf(operation = 'execute_tool') AS tool_calls,
            countIf(status_code = 'ERROR') AS error_spans,
            countIf(operation = 'handoff') AS handoff_spans,
            -- Usage in two parts: invoke_agent spans often repeat their children's usage (rule in session_rules).
            countIf(operation != 'invoke_agent' AND (input_tokens + output_tokens > 0 OR cost_usd > 0)) AS direct_usage_spans,
            sumIf(input_tokens, operation != 'invoke_agent') AS input_direct,
            sumIf(output_tokens, operation != 'invoke_agent') AS output_direct,
            sumIf(cache_read_tokens, operation != 'invoke_agent') AS cache_read_direct,
            sumIf(cache_write_tokens, operation != 'invoke_agent') AS cache_write_direct,
            sumIf(reasoning_tokens, operation != 'invoke_agent') AS reasoning_direct,
            sumIf(cost_usd, operation != 'invoke_agent') AS cost_direct,
            countIf(cost_source = 'unpriced' AND operation != 'invoke_agent') AS unpriced_direct,
            sumIf(input_tokens, operation = 'invoke_agent') AS input_agent,
            sumIf(output_tokens, operation = 'invoke_agent') AS output_agent,
            sumIf(cache_read_tokens, operation = 'invoke_agent') AS cache_read_agent,
            sumIf(cache_write_tokens, operation = 'invoke_agent') AS cache_write_agent,
            sumIf(reasoning_tokens, operation = 'invoke_agent') AS reasoning_agent,
            sumIf(cost_usd, operation = 'invoke_agent') AS cost_agent,
            countIf(cost_source = 'unpriced' AND operation = 'invoke_agent') AS unpriced_agent,
            1 AS in_spans
        FROM
        (
            SELECT tenant, session_id, trace_id, span_id, parent_span_id, start_time, end_time, status_code, operation,
                   agent_name, agent_version, environment, user_id, cost_source, cost_usd, input_tokens,
                   output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, context_inherited,
                   (parent_span_id != '') * 4000000000000000000 + toUnixTimestamp64Nano(start_time) AS first_key,
                   toUnixTimestamp64Nano(end_time) AS end_ns
            FROM spans FINAL
            WHERE start_time >= {scan_from:DateTime64(9)} AND start_time < {scan_to:DateTime64(9)}
              AND ({everything:UInt8} OR cityHash64(tenant, session_id) IN touched)
        )
        GROUP BY tenant, session_id
    ),
    -- What the spans that carry a configured key say: the segment of the first of them (the session's, when it is
    -- the session's first span), the outcome of the root that ended last naming one, the handoffs by attribute.
    marked AS
    (
        SELECT
            tenant,
            session_id,
            min(first_key) AS marked_first_key,
            argMin(segment_value, first_key) AS marked_segment,
            argMaxIf(outcome_value, end_ns, parent_span_id = '' AND outcome_value != '') AS outcome_attribute,
            countIf(operation != 'handoff' AND (attributes[handoff_keys[1]] IN ('true', '1') OR attributes[handoff_keys[2]] IN ('true', '1')
                    OR attributes[handoff_keys[3]] IN ('true', '1') OR attributes[handoff_keys[4]] IN ('true', '1'))) AS handoff_attributes,
            1 AS in_marked
        FROM
        (
            SELECT tenant, session_id, parent_span_id, operation, span_attributes AS attributes,
                   (parent_span_id != '') * 4000000000000000000 + toUnixTimestamp64Nano(span_start) AS first_key,
                   toUnixTimestamp64Nano(span_end) AS end_ns,
                   -- At most 4 keys per list (settings.py): an element of a constant array is a constant key, which
                   -- ClickHouse looks up without copying the map for every key as a lambda over the keys does.
                   sl_pick4(attributes, segment_keys[1], segment_keys[2], segment_keys[3], segment_keys[4]) AS segment_value,
                   if(parent_span_id = '', lower(sl_pick4(attributes, outcome_keys[1], outcome_keys[2], outcome_keys[3], outcome_keys[4])),
                      '') AS outcome_value
            FROM
            (
                -- Not FINAL, which reads every column of every span in the range before any filter: the newest version
                -- of each marked span, by hand.
                SELECT tenant, argMax(session_id, ingested_at) AS session_id, any(parent_span_id) AS parent_span_id,
                       argMax(operation, ingested_at) AS operation, any(attributes) AS span_attributes,
                       any(start_time) AS span_start, any(end_time) AS span_end
                FROM spans
                PREWHERE hasAny(attributes.keys, {marked_keys:Array(String)})
                     AND start_time >= {scan_from:DateTime64(9)} AND start_time < {scan_to:DateTime64(9)}
                GROUP BY tenant, trace_id, span_id
            )
            WHERE {everything:UInt8} OR cityHash64(tenant, session_id) IN touched
        )
        GROUP BY tenant, session_id
    )
SELECT
    tenant, session_id, first_span_id, agent_name, agent_version, environment, user_id,
    if(in_marked AND marked_first_key = first_key_min, marked_segment, '') AS segment,
    final_root_status, outcome_attribute, traces, rooted_traces, first_start, last_end, spans, model_calls,
    tool_calls, error_spans, handoff_spans + handoff_attributes AS handoffs, direct_usage_spans, input_direct, output_direct,
    cache_read_direct, cache_write_direct, reasoning_direct, cost_direct, unpriced_direct, input_agent, output_agent,
    cache_read_agent, cache_write_agent, reasoning_agent, cost_agent, unpriced_agent,
    in_spans, in_prev, prev_first_start
FROM agg
LEFT JOIN marked USING (tenant, session_id)
FULL OUTER JOIN prev USING (tenant, session_id)
SETTINGS do_not_merge_across_partitions_select_final = 1
