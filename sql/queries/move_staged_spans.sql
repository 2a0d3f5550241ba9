-- A staged load (sql/0055_spans_stage.sql) into spans, through spans_load and its views.
INSERT INTO spans_load SELECT * FROM spans_stage
SETTINGS optimize_on_insert = 0
