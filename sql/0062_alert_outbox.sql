-- The notification outbox (alerts/outbox.py): one row per notification and channel, rewritten with a newer
-- updated_at after each delivery attempt (pending -> sent, or failed when given up). notification_id is
-- derived from the series and its notification count, so re-deriving a notification after a crash finds
-- the row already there instead of sending twice. payload holds the channel-neutral notification (no
-- secrets: routing keys and webhook URLs are added at send time from the settings).
CREATE TABLE IF NOT EXISTS alert_outbox
(
    notification_id String,
    channel LowCardinality(String),
    rule LowCardinality(String),
    series_key String,
    dedup_key String,
    kind LowCardinality(String),
    payload String,
    created_at DateTime64(6, 'UTC'),
    status LowCardinality(String),
    attempts UInt32,
    next_attempt_at DateTime64(6, 'UTC'),
    last_error String,
    sent_at Nullable(DateTime64(6, 'UTC')),
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (notification_id, channel);
