INSERT INTO job_watermarks (job, watermark, updated_at) VALUES ({job:String}, {watermark:DateTime64(6)}, now64(6))
