-- The calls of a range's partial hours, one row per call: what the readers of rollup_calls add to the whole
-- hours' totals and histograms (sql/0020_rollup_calls_minute_detail.sql) so that any range [{since}, {until}) is
-- exact to the minute. Each call of a row of one kind and name (model calls; tools per name, so each call
-- appears once) in an hour the range does not cover whole, whose session started in a minute of the range.
-- A parameterized view so the tools page, `metrics` and the error-rate rules share one definition.
CREATE VIEW IF NOT EXISTS rollup_call_minutes AS
SELECT tenant, agent_name, agent_version, environment, segment, bucket, kind, name, duration, failure
FROM rollup_calls_live
ARRAY JOIN minutes AS minute, durations_ns AS duration, failures AS failure
WHERE grain = '1h' AND (kind = 'model' OR name != '')
  AND bucket >= toStartOfHour({since:DateTime64(9)}) AND bucket < {until:DateTime64(9)}
  AND NOT (bucket >= {since:DateTime64(9)} AND bucket + INTERVAL 1 HOUR <= {until:DateTime64(9)})
  AND bucket + minute * 60 >= {since:DateTime64(9)} AND bucket + minute * 60 < {until:DateTime64(9)};
