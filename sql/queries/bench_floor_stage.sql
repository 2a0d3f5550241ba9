-- Bench only (bench/floor_profile.py): the rows of one load, as the move reads them from the stage.
CREATE TABLE floor_stage ENGINE = Memory AS SELECT * FROM spans LIMIT {rows:UInt64}
