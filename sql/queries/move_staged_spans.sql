-- A staged load (sql/queries/insert_otlp_spans.sql) into spans, through spans_load and its views.
-- Spans of one trace share their session, user and agent even when only the root names them: a span that
-- names none takes what its trace names in this load (the largest value where they differ), else a fallback
-- (the trace id, the service's name and version). The session and user ids are redacted here, once filled in.
-- A join on the traces costs 0.3 µs a span; a window over the trace in the parse cost 1.5 (it sorts every column).
INSERT INTO spans_load
SELECT s.* REPLACE (
    sl_redact_text(if(s.session_id != '', s.session_id, if(t.session != '', t.session, s.trace_id)),
                   {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String}) AS session_id,
    sl_redact_text(if(s.user_id != '', s.user_id, t.user),
                   {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String}) AS user_id,
    if(s.agent_name != '', s.agent_name, if(t.agent != '', t.agent, s.service_name)) AS agent_name,
    if(s.agent_version != '', s.agent_version, if(t.agent_version != '', t.agent_version, s.service_version)) AS agent_version,
    -- Which context not even the rest of its trace in this load named (bits: 1 session, 2 user, 4 agent name,
    -- 8 agent version): the span holds a fallback until a later load names them and the context repair runs.
    toUInt8((s.session_id = '' AND t.session = '') + 2 * (s.user_id = '' AND t.user = '')
            + 4 * (s.agent_name = '' AND t.agent = '') + 8 * (s.agent_version = '' AND t.agent_version = '')) AS context_fallback)
FROM spans_stage AS s
LEFT ANY JOIN
(
    SELECT trace_id, max(session_id) AS session, max(user_id) AS user, max(agent_name) AS agent, max(agent_version) AS agent_version
    FROM spans_stage
    GROUP BY trace_id
) AS t USING (trace_id)
-- A load's duplicate spans collapse at merges and reads, like retried ones: not sorting them out here saves a third of the write.
-- A backfill may span more days (partitions) than the 100 an insert may write by default; ingest/validate.py bounds
-- them to ten years, and a refused load would set the file aside with everyone's spans in it.
SETTINGS optimize_on_insert = 0, throw_on_max_partitions_per_insert_block = 0
