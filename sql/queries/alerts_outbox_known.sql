-- Which of the given notification ids (a JSON array) the outbox already holds, on any channel.
SELECT DISTINCT notification_id
FROM alert_outbox
WHERE notification_id IN (SELECT arrayJoin(JSONExtract({ids:String}, 'Array(String)')))
