-- The call rollups keep one row per hour and no 1-minute rows. At 1-minute grain they were almost a copy of the
-- calls (2.5 calls per row on the 10 M-span bench store) and most of a full recompute's time. Instead, each hour
-- row of one kind and name (model calls; tool calls per tool, not the all-tools row) carries its calls as three
-- arrays in (minute, duration) order: minutes (the minute of the hour its session started in), durations_ns
-- and failures (1 for an ERROR call). Readers take whole hours from the row's totals and histogram and the
-- minutes of a partial hour from the arrays, so any range is exact to the minute
-- (sql/queries/metrics_rollup_calls.sql, ui_tool_calls.sql, alerts_call_errors.sql).
ALTER TABLE rollup_calls
    ADD COLUMN IF NOT EXISTS minutes Array(UInt8) CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS durations_ns Array(UInt64) CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS failures Array(UInt8) CODEC(ZSTD(1));

-- The view lists the table's columns as they were when it was created.
CREATE OR REPLACE VIEW rollup_calls_live AS
SELECT r.*
FROM rollup_calls AS r
INNER JOIN
(
    SELECT tenant, hour, max(computed_at) AS generation
    FROM rollup_generations
    GROUP BY tenant, hour
) AS g ON r.tenant = g.tenant AND toStartOfHour(r.bucket) = g.hour AND r.computed_at = g.generation;

-- The latency histogram's key of a duration d (ns): 0 for d = 0, else 1 + ceil(ln d / ln gamma) (jobs/percentiles.py).
CREATE FUNCTION IF NOT EXISTS sl_latency_key AS (d, gamma) -> toUInt16(if(d = 0, 0, 1 + ceil(log(d) / log(gamma))));

-- Rows of the old 1-minute grain are no longer read; the next rollup pass recomputes every hour (no watermark:
-- every hour with sessions is dirty), which gives the hour rows their arrays.
DELETE FROM rollup_calls WHERE grain = '1m';
DELETE FROM job_watermarks WHERE job = 'rollups';
