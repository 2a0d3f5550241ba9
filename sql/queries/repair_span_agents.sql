-- Traces of several agents (context_repair_traces.multi_agent, sql/queries/repair_span_context.sql's traces): a span
-- takes the agent of its nearest ancestor-or-self that names one, not the one agent its trace is summed up by, and
-- that span's version, else its service's (the trace's version may be another agent's). In an OpenAI Agents SDK run
-- that hands off from triage to a specialist, triage's model calls are triage's. A span with no such ancestor up to
-- its root (the workflow's root) takes the entry agent's, as its session does; what a span names itself is never changed.
-- Spans end, and are exported, before their parents, so the move cannot know the ancestor yet: this runs after
-- the session repair of the same run, on the newest version of each span, and writes a version (64) only where
-- something changes. Ancestors start before their spans: an hour before the first span that inherited is read.
-- Whole rows are read for the spans that change alone: in traffic of multi-agent traces, every trace is walked.
INSERT INTO spans
WITH
    bounds AS (SELECT min(rewrite_from) - INTERVAL 1 HOUR AS lo, max(rewrite_to) AS hi FROM context_repair_traces WHERE multi_agent),
    -- The newest version of each span of those traces, the columns the walk needs: whole rows are read, once, only
    -- for the spans that change (the end).
    latest AS
    (
        SELECT tenant, trace_id, span_id, parent_span_id, agent_name, agent_version, service_version, context_inherited,
               start_time, ingested_at
        FROM spans
        PREWHERE start_time >= (SELECT lo FROM bounds) AND start_time <= (SELECT hi FROM bounds)
             AND trace_id IN (SELECT trace_id FROM context_repair_traces WHERE multi_agent)
        ORDER BY ingested_at DESC
        LIMIT 1 BY tenant, trace_id, span_id
    ),
    -- Per trace: for each span, the position of its nearest ancestor-or-self that names an agent itself. Each span
    -- starts at itself when it names one (state 1), else points at its parent's position (state 0), or holds 0: its
    -- root, naming none (state 0), or a parent not stored (state 2: yet, or ever, as Logfire leaves some out). Six
    -- rounds of pointer jumping (each span takes the state of the one it points at) resolve chains of up to 64
    -- ancestors; walking them a step at a time copied the trace's arrays into every step of every span (8 s of CPU
    -- for 20,000 traces of 22 spans, against 0.2). A span resolved to its root takes the entry agent's span: the
    -- first to name an agent itself, as for the session (sql/queries/jobs_session_totals.sql); a parent not stored,
    -- or a chain longer than 64, proves nothing: the span keeps what it holds. Finding each parent's position costs
    -- the square of a trace's spans (1.1 s of CPU for 10,000): a trace of more than {max_spans} spans
    -- (SPANLEDGER_CONTEXT_REPAIR_AGENT_MAX_SPANS) keeps its trace's agent.
    changes AS
    (
        SELECT tenant, trace_id, span_id, ingested_at,
               if(bitTest(context_inherited, 2), named[code].1, stored_agent) AS agent,
               if(bitTest(context_inherited, 3), if(named[code].2 != '', named[code].2, service_version), stored_version) AS agent_version,
               bitTest(context_inherited, 3) AND named[code].2 = '' AS version_fallback
        FROM
        (
            -- each span's answer as the code of an (agent, version) the trace names (0: none), not as a position: a
            -- lookup of strings by position copies the trace's strings for every span
            SELECT *, arrayMap((a, f) -> multiIf(f = 1, codes[a], f = 0 AND a = 0, codes[entry_at], 0), walked.1, walked.2) AS found
            FROM
            (
                SELECT *,
                       arrayFold((acc, round) -> (arrayMap((a, f) -> if(f != 0 OR a = 0, a, acc.1[a]), acc.1, acc.2),
                                                  arrayMap((a, f) -> if(f != 0 OR a = 0, f, acc.2[a]), acc.1, acc.2)),
                                 range(6),
                                 (arrayMap((i, u, o) -> toUInt64(if(o != '', i, u)), arrayEnumerate(ids), up, own),
                                  arrayMap((u, p, o) -> toUInt8(multiIf(o != '', 1, u = 0 AND p != '', 2, 0)), up, parents, own))) AS walked
                FROM
                (
                    SELECT *, arrayMap(p -> toUInt64(indexOf(ids, p)), parents) AS up,
                           arrayFilter(x -> x.1 != '', arrayDistinct(arrayZip(own, own_version))) AS named,
                           arrayMap((o, v) -> toUInt32(indexOf(named, (o, v))), own, own_version) AS codes,
                           indexOf(ids, entry) AS entry_at
                    FROM
                    (
                        SELECT tenant, trace_id, groupArray(span_id) AS ids, groupArray(parent_span_id) AS parents,
                               groupArray(if(bitTest(context_inherited, 2), '', agent_name)) AS own,
                               groupArray(if(bitTest(context_inherited, 2) OR bitTest(context_inherited, 3), '', agent_version)) AS own_version,
                               argMinIf(span_id, start_time, NOT bitTest(context_inherited, 2)) AS entry,
                               -- what each span holds now, to rewrite only what changes
                               groupArray(agent_name) AS stored_agents, groupArray(agent_version) AS stored_versions,
                               groupArray(service_version) AS service_versions, groupArray(context_inherited) AS inherited,
                               groupArray(ingested_at) AS versions
                        FROM latest
                        GROUP BY tenant, trace_id
                        HAVING count() <= {max_spans:UInt32}
                    )
                )
            )
        )
        ARRAY JOIN ids AS span_id, found AS code, stored_agents AS stored_agent, stored_versions AS stored_version,
                   service_versions AS service_version, inherited AS context_inherited, versions AS ingested_at
        WHERE code != 0 AND (agent != stored_agent OR agent_version != stored_version)
    )
-- Every column as stored but the agent, the redactions too (sql/queries/repair_span_context.sql).
SELECT s.* REPLACE (
    c.agent AS agent_name,
    c.agent_version AS agent_version,
    -- what is still a fallback (the agent no longer; the version when neither the span nor that agent's span names
    -- one), 128 as it was, and 64: a version this wrote
    toUInt8(bitOr(bitAnd(s.context_fallback, 131), 64 + 8 * c.version_fallback)) AS context_fallback,
    now64(3) AS ingested_at)
FROM spans AS s
INNER JOIN changes AS c ON s.tenant = c.tenant AND s.trace_id = c.trace_id AND s.span_id = c.span_id AND s.ingested_at = c.ingested_at
PREWHERE s.start_time >= (SELECT lo FROM bounds) AND s.start_time <= (SELECT hi FROM bounds)
     AND s.trace_id IN (SELECT trace_id FROM context_repair_traces WHERE multi_agent)
SETTINGS optimize_on_insert = 0
