-- The invalid spans of a batch, with their request index and reason (only run when a batch stored fewer
-- spans than it carried). Mirrors the filter of insert_otlp_spans.sql through sl_span_problem.
INSERT INTO span_rejections (batch_id, request, trace_id, span_id, reason)
SELECT {batch_id:String}, request, lower(hex(sp.trace_id)), lower(hex(sp.span_id)), problem
FROM
(
    SELECT request, sp, sl_span_problem(sp, {min_time_ns:UInt64}, {max_time_ns:UInt64}) AS problem
    FROM (SELECT rowNumberInAllBlocks() AS request, resource_spans FROM {source})
    ARRAY JOIN resource_spans AS rs
    ARRAY JOIN rs.scope_spans AS ss
    ARRAY JOIN ss.spans AS sp
)
WHERE problem != ''
