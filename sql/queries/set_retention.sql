ALTER TABLE spans MODIFY TTL toDateTime(start_time) + INTERVAL {days} DAY
