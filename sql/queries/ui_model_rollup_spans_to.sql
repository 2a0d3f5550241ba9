-- The last end of the sessions that started in the (tenant, hour)s {hours}: how far a model rollup pass
-- reads spans.
SELECT max(last_end) AS spans_to
FROM sessions FINAL
WHERE first_start >= {from:DateTime64(9)} AND first_start < {to:DateTime64(9)}
  AND (tenant, toStartOfHour(first_start)) IN
      (SELECT h.1, toDateTime(h.2, 'UTC') FROM (SELECT arrayJoin(JSONExtract({hours:String}, 'Array(Tuple(String, UInt32))')) AS h))
SETTINGS do_not_merge_across_partitions_select_final = 1
