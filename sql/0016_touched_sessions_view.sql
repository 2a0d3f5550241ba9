-- The session keys a session pass recomputes (jobs/sessions.py): those of spans ingested since
-- {ingested_since} that start in [{start_from}, {start_to}), each also under its trace id, the key its
-- spans had before the context repair gave them their named session (so that key's old row is replaced
-- by a tombstone). A parameterized view so the pass's queries share one definition.
CREATE VIEW IF NOT EXISTS touched_sessions AS
SELECT tenant, session_id, start_time
FROM spans
WHERE ingested_at >= {ingested_since:DateTime64(6)}
  AND start_time >= {start_from:DateTime64(9)} AND start_time < {start_to:DateTime64(9)}
UNION ALL
SELECT tenant, trace_id AS session_id, start_time
FROM spans
WHERE ingested_at >= {ingested_since:DateTime64(6)}
  AND start_time >= {start_from:DateTime64(9)} AND start_time < {start_to:DateTime64(9)};
