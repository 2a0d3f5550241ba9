"""Checks one OTLP trace request before it is acknowledged: does it parse, how many spans, which are invalid.

Pure: bytes in, verdict out. Invalid spans are cut out of the request here, so what is spooled is
exactly what the client is told was accepted, and the rest of its request is kept. A request that only
fails to parse because of invalid UTF-8 is repaired (ingest/utf8_repair.py) and accepted with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ingest.utf8_repair import repair_invalid_utf8

PAST_NS = 10 * 365 * 24 * 3600 * 10**9  # a span may start at most ten years ago
FUTURE_NS = 24 * 3600 * 10**9  # and at most a day ahead of this server's clock


class BadRequest(Exception):
    """The body cannot be read as an OTLP trace request (non-retryable)."""


@dataclass(frozen=True)
class Inspected:
    body: bytes  # what to store: the request, less its invalid spans
    spans: int  # spans in body
    rejected: int
    problem: str  # for partial_success.error_message: the first rejected span's problem, the UTF-8 repair
    repaired: int = 0  # string values whose invalid UTF-8 was replaced with U+FFFD


_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


def span_problem(span, now_ns: int) -> str:  # type: ignore[no-untyped-def]
    """Why a span cannot be stored, or ''. The only check: the store loads spooled spans without another
    (sql/queries/insert_otlp_spans.sql). Every accepted span passes here, so no loops over bytes."""
    trace_id, span_id = span.trace_id, span.span_id
    if len(trace_id) != 16 or trace_id == _ZERO_TRACE_ID:
        return f"trace_id must be 16 non-zero bytes, got {len(trace_id)}"
    if len(span_id) != 8 or span_id == _ZERO_SPAN_ID:
        return f"span_id must be 8 non-zero bytes, got {len(span_id)}"
    parent_length = len(span.parent_span_id)
    if parent_length != 0 and parent_length != 8:
        return f"parent_span_id must be empty or 8 bytes, got {parent_length}"
    start = span.start_time_unix_nano
    if span.end_time_unix_nano < start:
        return "end_time_unix_nano is before start_time_unix_nano"
    if not now_ns - PAST_NS <= start <= now_ns + FUTURE_NS:
        return f"start_time_unix_nano {start} is more than ten years ago or more than a day ahead"
    return ""


def inspect_request(body: bytes, now_ns: int, max_spans: int = 100_000) -> Inspected:
    """Parses body (upb, in C) and checks every span; raises BadRequest when it does not parse or holds
    more than max_spans spans (the whole request is refused: nothing of it is half-stored)."""
    repaired = 0
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except DecodeError as exc:
        try:
            body, repaired = repair_invalid_utf8(body)
            request = ExportTraceServiceRequest.FromString(body)
        except DecodeError:
            repaired = 0
        if not repaired:
            raise BadRequest(f"body is not a valid ExportTraceServiceRequest: {exc}") from None
    spans = rejected = 0
    warning = f"{repaired} string values held invalid UTF-8; each invalid sequence was stored as U+FFFD" if repaired else ""
    first_rejection = ""
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                reason = span_problem(span, now_ns)
                if reason:
                    rejected += 1
                    if not first_rejection:
                        first_rejection = f"span {span.span_id.hex() or '(empty)'} of trace {span.trace_id.hex() or '(empty)'}: {reason}"
                else:
                    spans += 1
    if spans + rejected > max_spans:
        raise BadRequest(f"request holds {spans + rejected} spans, more than the limit of {max_spans} "
                         "(SPANLEDGER_MAX_SPANS_PER_REQUEST); export smaller batches")
    problem = "; ".join(part for part in (first_rejection, warning) if part)
    if not rejected:
        return Inspected(body, spans, 0, problem, repaired)
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            keep = [span for span in scope_spans.spans if not span_problem(span, now_ns)]
            del scope_spans.spans[:]
            scope_spans.spans.extend(keep)
    return Inspected(request.SerializeToString(), spans, rejected, problem, repaired)
