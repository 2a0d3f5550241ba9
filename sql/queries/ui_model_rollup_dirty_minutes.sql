-- The minutes of the due (tenant, hour)s {hours} (JSON [[tenant, unix hour, covered]]) whose model calls may have
-- changed since the hour's model rollups were computed: those that sessions rewritten since start, or started, in.
-- covered (unix microseconds) is the rollup generation those model rollups were computed after; every session row
-- written after it carries a later computed_at (jobs/runner.py: passes run one at a time, each writes its sessions
-- before its rollups). {since} is the earliest covered.
WITH due AS
(
    SELECT h.1 AS tenant, toDateTime(h.2, 'UTC') AS hour, fromUnixTimestamp64Micro(h.3, 'UTC') AS covered
    FROM (SELECT arrayJoin(JSONExtract({hours:String}, 'Array(Tuple(String, UInt32, Int64))')) AS h)
)
SELECT s.tenant AS tenant, toUnixTimestamp(s.hour) AS hour, arraySort(groupUniqArray(toUInt8(toMinute(s.moment)))) AS minutes
FROM
(
    SELECT tenant, arrayJoin([first_start, prev_first_start]) AS moment, toStartOfHour(moment) AS hour, computed_at
    FROM sessions
    WHERE computed_at >= {since:DateTime64(6)}
) AS s
INNER JOIN due AS d ON s.tenant = d.tenant AND s.hour = d.hour
WHERE s.computed_at >= d.covered
GROUP BY s.tenant, s.hour
