-- spans_stage for a load on a ClickHouse server: a temporary table of the loading session, which takes the
-- place of sql/0055_spans_stage.sql's table there, so instances sharing a server never see each other's loads.
CREATE TEMPORARY TABLE IF NOT EXISTS spans_stage AS spans_load ENGINE = Memory
