-- context_repair_traces for a context repair on a ClickHouse server or a second chDB connection: a temporary table
-- of the lane's session with the columns of sql/0072_context_repair_traces.sql's table, in its place, so lanes and
-- instances sharing a server never see each other's runs.
CREATE TEMPORARY TABLE IF NOT EXISTS context_repair_traces AS context_repair_traces ENGINE = Memory
