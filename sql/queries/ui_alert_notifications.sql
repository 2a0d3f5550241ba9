-- Notifications created in [{since}, {until}) with their delivery status, newest first.
SELECT created_at, rule, series_key, kind, channel, status, attempts, sent_at, last_error
FROM alert_outbox FINAL
WHERE created_at >= {since:DateTime64(9)} AND created_at < {until:DateTime64(9)}
ORDER BY created_at DESC, rule, series_key, channel
LIMIT 200
