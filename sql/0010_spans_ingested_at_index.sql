-- The session job finds the sessions touched since its watermark by ingested_at (late spans and
-- context repairs carry a fresh ingested_at whatever their start_time). Parts are written in ingest
-- order, so a min/max index lets that lookup skip almost every granule of a large table.
ALTER TABLE spans ADD INDEX IF NOT EXISTS idx_ingested_at ingested_at TYPE minmax GRANULARITY 1;

ALTER TABLE spans MATERIALIZE INDEX idx_ingested_at;
