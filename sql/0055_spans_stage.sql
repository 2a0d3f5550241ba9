-- Where the embedded store parses a load before moving it into spans_load (store/store.py, load_otlp_batch):
-- chDB runs the parse of a batch of files on both cores, the move from here on one. Memory engine: nothing in it
-- survives a restart, which is right (the spool files of an unfinished load are loaded again).
CREATE TABLE IF NOT EXISTS spans_stage AS spans_load ENGINE = Memory;
