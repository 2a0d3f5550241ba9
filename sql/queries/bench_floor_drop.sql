-- Bench only (bench/floor_profile.py): a variant of spans from the round before.
DROP TABLE IF EXISTS {table:Identifier}
