-- Per span, how many values the redaction masked, by detector (sql/0050_redaction_functions.sql).
ALTER TABLE spans ADD COLUMN IF NOT EXISTS redactions Map(LowCardinality(String), UInt32) CODEC(ZSTD(1)) AFTER context_fallback;
