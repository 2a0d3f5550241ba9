SELECT argMax(watermark, updated_at) AS watermark, count() AS runs
FROM job_watermarks
WHERE job = {job:String}
