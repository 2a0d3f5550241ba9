-- Outbox rows (new notifications or a delivery attempt's outcome) from the outbox's frame (alerts/outbox.py).
INSERT INTO alert_outbox (notification_id, channel, rule, series_key, dedup_key, kind, payload, created_at, status,
    attempts, next_attempt_at, last_error, sent_at, updated_at)
SELECT notification_id, channel, rule, series_key, dedup_key, kind, payload, created_at, status,
    attempts, next_attempt_at, last_error, sent_at, now64(6)
FROM {source}
