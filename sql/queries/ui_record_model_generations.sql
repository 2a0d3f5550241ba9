-- Makes {computed_at} the current model rollup generation of the (tenant, hour)s {hours}
-- (JSON [[tenant, unix hour, rollup generation]]): readers switch to its rows all at once.
INSERT INTO rollup_model_generations (tenant, hour, computed_at, rollup_generation)
SELECT h.1, toDateTime(h.2, 'UTC'), {computed_at:DateTime64(6)}, toDateTime64(h.3, 6, 'UTC')
FROM (SELECT arrayJoin(JSONExtract({hours:String}, 'Array(Tuple(String, UInt32, String))')) AS h)
