-- Values masked by the redaction, per tenant, day and detector: the redaction metric
-- (spanledger_redactions_total). Fed by loads only, so a context repair rewriting a span does not count again;
-- a request the client sent twice counts twice, like the other ingest counters.
CREATE TABLE IF NOT EXISTS redaction_counts
(
    tenant LowCardinality(String),
    day Date,
    detector LowCardinality(String),
    masked UInt64
)
ENGINE = SummingMergeTree
ORDER BY (tenant, day, detector);

CREATE MATERIALIZED VIEW IF NOT EXISTS redaction_counts_from_load TO redaction_counts AS
SELECT tenant, toDate(ingested_at) AS day, detection.1 AS detector, sum(detection.2) AS masked
FROM spans_load
ARRAY JOIN CAST(redactions, 'Array(Tuple(String, UInt32))') AS detection
WHERE notEmpty(redactions)
GROUP BY tenant, day, detector;
