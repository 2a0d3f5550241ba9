-- Per request of one batch: how many spans were rejected and the first reason, for OTLP partial_success.
SELECT request, count() AS rejected, any(concat('span ', span_id, ' of trace ', trace_id, ': ', reason)) AS example
FROM span_rejections
WHERE batch_id = {batch_id:String}
GROUP BY request
ORDER BY request
