-- A rollup pass is done with the (tenant, hour) buckets {hours} (JSON [[tenant, unix hour]]): their rows
-- of version {computed_at} become the ones readers see (rollup_agents_live, rollup_calls_live).
INSERT INTO rollup_generations (tenant, hour, computed_at)
SELECT h.1, toDateTime(h.2, 'UTC'), {computed_at:DateTime64(6)}
FROM (SELECT arrayJoin(JSONExtract({hours:String}, 'Array(Tuple(String, UInt32))')) AS h)
