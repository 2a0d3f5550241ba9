"""How a batch of OTLP trace requests is laid out for ClickHouse's Protobuf input format.

Pure and I/O-free: the schema text, the column structure that mirrors it, and the length-delimited
framing of request bytes. The spans themselves are exploded by sql/queries/insert_otlp_spans.sql.
"""

from __future__ import annotations

from pathlib import Path

SCHEMA_TEXT = (Path(__file__).with_name("otlp_columns.proto")).read_text()
MESSAGE_NAME = "ExportTraceServiceRequest"

_LEAF = (
    "Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), "
    "double_value Nullable(Float64), array_value String, kvlist_value String, bytes_value Nullable(String))"
)
_ANY = (
    "Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), "
    f"double_value Nullable(Float64), array_value Tuple(values Array({_LEAF})), "
    f"kvlist_value Tuple(values Array(Tuple(key String, value {_LEAF}))), bytes_value Nullable(String))"
)
_KEY_VALUES = f"Array(Tuple(key String, value {_ANY}))"
_SPAN = (
    "Tuple(trace_id String, span_id String, trace_state String, parent_span_id String, name String, kind Int32, "
    f"start_time_unix_nano UInt64, end_time_unix_nano UInt64, attributes {_KEY_VALUES}, "
    f"events Array(Tuple(time_unix_nano UInt64, name String, attributes {_KEY_VALUES})), "
    "status Tuple(message String, code Int32))"
)
STRUCTURE = (
    f"resource_spans Array(Tuple(resource Tuple(attributes {_KEY_VALUES}), "
    f"scope_spans Array(Tuple(scope Tuple(name String, version String), spans Array({_SPAN})))))"
)

FORMAT_SETTINGS = {
    "format_schema_source": "string",
    "format_schema": SCHEMA_TEXT,
    "format_schema_message_name": MESSAGE_NAME,
}


def frame_header(size: int) -> bytes:
    """The varint length that precedes each request in a stream of the 'Protobuf' format."""
    head = bytearray()
    while True:
        low = size & 0x7F
        size >>= 7
        if size:
            head.append(low | 0x80)
        else:
            head.append(low)
            return bytes(head)
