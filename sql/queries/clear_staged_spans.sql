TRUNCATE TABLE spans_stage
