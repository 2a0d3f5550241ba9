-- A SELECT, not VALUES: the jobs' statements end with their settings (os_thread_priority), which VALUES would swallow.
INSERT INTO job_watermarks (job, watermark, updated_at) SELECT {job:String}, {watermark:DateTime64(6)}, now64(6)
