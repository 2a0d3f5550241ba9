-- The load's door into spans: the insert path writes here (Null engine: nothing is kept) and the view
-- below passes every row on to spans, so views that must see loads only, not the context repair's
-- rewrites of stored rows, can hang off this table. Its columns must follow spans' columns, and spans_stage's
-- (sql/0055_spans_stage.sql) must follow these: a migration that adds a column to spans adds it to all three.
CREATE TABLE IF NOT EXISTS spans_load AS spans ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS spans_from_load TO spans AS SELECT * FROM spans_load;
