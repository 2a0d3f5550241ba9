"""Request bodies in and responses out: decompression with a hard size limit, the OTLP/JSON → protobuf
bridge, and the ExportTraceServiceResponse. Pure functions; they never touch the store.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from ingest.validate import BadRequest


class TooLarge(Exception):
    """The body, or what it decompresses to, exceeds the configured limit (non-retryable)."""


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Undoes Content-Encoding (gzip, deflate, identity) without ever holding more than limit bytes."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise TooLarge(f"request body is {len(body)} bytes, the limit is {limit}")
        return body
    if encoding == "gzip":
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    else:
        raise BadRequest(f"unsupported Content-Encoding {encoding!r} (use gzip, deflate or identity)")
    try:
        out = decoder.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BadRequest(f"body is not valid {encoding}: {exc}") from None
    if len(out) > limit or decoder.unconsumed_tail:
        raise TooLarge(f"request body decompresses to more than the limit of {limit} bytes")
    return out


def json_to_protobuf(body: bytes) -> tuple[bytes, bool]:
    """OTLP/JSON (hex ids, lowerCamelCase or snake_case names) → serialized ExportTraceServiceRequest, and
    whether invalid UTF-8 had to be replaced with U+FFFD (treated like the protobuf path: kept, not refused)."""
    repaired = False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text, repaired = body.decode("utf-8", "replace"), True
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest("OTLP/JSON body must be an object with resourceSpans")
    try:
        for resource_spans in _items(document, "resourceSpans", "resource_spans"):
            for scope_spans in _items(resource_spans, "scopeSpans", "scope_spans"):
                for span in _items(scope_spans, "spans"):
                    _hex_ids_to_base64(span, ("traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id"))
                    for link in _items(span, "links"):
                        _hex_ids_to_base64(link, ("traceId", "trace_id", "spanId", "span_id"))
        message = json_format.ParseDict(document, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, AttributeError) as exc:
        raise BadRequest(f"body is not a valid OTLP/JSON trace request: {exc}") from None
    return message.SerializeToString(), repaired


def response_body(rejected: int, message: str, as_json: bool) -> bytes:
    """An ExportTraceServiceResponse, with partial_success when spans were rejected or there is a warning
    (OTLP: rejected_spans 0 with an error_message is a warning)."""
    response = ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if as_json:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


def _items(node: Any, *names: str) -> list[Any]:
    for name in names:
        value = node.get(name) if isinstance(node, dict) else None
        if isinstance(value, list):
            return value
    return []


def _hex_ids_to_base64(node: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = node.get(key)
        if isinstance(value, str) and value:
            try:
                node[key] = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError:
                raise BadRequest(f"{key} {value!r} is not hex") from None
