-- Notifications created since {since}, newest first, with their delivery status.
SELECT notification_id, channel, rule, series_key, kind, created_at, status, attempts, next_attempt_at, last_error, sent_at
FROM alert_outbox FINAL
WHERE created_at >= {since:DateTime64(6)}
ORDER BY created_at DESC, notification_id, channel
LIMIT {limit:UInt32}
