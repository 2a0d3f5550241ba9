-- Bench only (bench/floor_profile.py): the write of one load's rows, into spans or into a variant of it.
INSERT INTO {table:Identifier} SELECT * FROM floor_stage SETTINGS optimize_on_insert = 0
