-- After a full pass wrote every session starting in [{scan_from}, {scan_to}) with version {computed_at}:
-- any row there with an older version belongs to a session that no longer has spans under its key (or
-- that moved to another hour), so it gets a tombstone under its own key.
INSERT INTO sessions (tenant, session_id, first_start, last_end, prev_first_start, computed_at, is_deleted)
SELECT tenant, session_id, first_start, first_start, first_start, {tombstone_at:DateTime64(6)}, 1
FROM sessions FINAL
WHERE first_start >= {scan_from:DateTime64(9)} AND first_start < {scan_to:DateTime64(9)}
  AND computed_at < {computed_at:DateTime64(6)}
SETTINGS do_not_merge_across_partitions_select_final = 1
