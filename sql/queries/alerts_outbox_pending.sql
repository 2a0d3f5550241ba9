-- Every notification not yet sent or given up, oldest first: delivery keeps each series' order per channel.
SELECT notification_id, channel, rule, series_key, dedup_key, kind, payload, created_at, status, attempts,
       next_attempt_at, last_error, sent_at
FROM alert_outbox FINAL
WHERE status = 'pending'
ORDER BY created_at, notification_id, channel
