"""Every kind of OTLP AnyValue, as stored: in span, event and resource attributes alike.

Scalars become their text, arrays and key-value lists JSON, anything nested deeper base64 of its protobuf bytes.
Each value is encoded by the OTLP exporters' own function, so the values reach the server as exporters send them.
"""

from __future__ import annotations

import os
import time

import grpc
from opentelemetry.exporter.otlp.proto.common._internal import _encode_value
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import rows

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

# key -> (value as sent, value as stored)
VALUES: dict[str, tuple[object, str]] = {
    "text": ("hello", "hello"),
    "text.empty": ("", ""),
    "text.200": ("x" * 200, "x" * 200),  # a two-byte length
    "text.20k": ("é" * 10_000, "é" * 10_000),  # a three-byte length
    "text.unicode": ('日本語 ✓ "quoted" \\ \n', '日本語 ✓ "quoted" \\ \n'),
    "bool.true": (True, "true"),
    "bool.false": (False, "false"),
    "int.zero": (0, "0"),
    "int.small": (443, "443"),
    "int.large": (2**40 + 7, str(2**40 + 7)),
    "int.negative": (-5, "-5"),
    "int.min": (-(2**63), str(-(2**63))),
    "double": (1.5, "1.5"),
    "double.zero": (0.0, "0"),
    "double.negative": (-0.25, "-0.25"),
    "double.huge": (1e300, "1e300"),
    "bytes": (b"\x00\x01\xff", "base64:AAH/"),
    "bytes.empty": (b"", "base64:"),
    "array.one": (["stop"], '["stop"]'),
    "array.mixed": (["a", 1, True, 2.5, b"z", None], '["a",1,true,2.5,"base64:eg==",null]'),
    "array.empty": ([], ""),
    "array.nested": ([["x", 1], {"k": "v"}], '["base64:CgMKAXgKAhgB","base64:CggKAWsSAwoBdg=="]'),
    "array.long": ([f"item-{i}" for i in range(300)], "[" + ",".join(f'"item-{i}"' for i in range(300)) + "]"),
    "kvlist": ({"a": "b", "n": 3, "f": 1.0, "": "no key", "deep": [1, 2]},
               '{"a":"b","n":3,"f":1,"":"no key","deep":"base64:CgIYAQoCGAI="}'),
    "kvlist.empty": ({}, ""),
    "unset": (None, ""),
}


def _attributes(into, prefix: str = "") -> None:  # type: ignore[no-untyped-def]
    for key, (value, _) in VALUES.items():
        item = into.add()
        item.key = prefix + key
        if value is not None:
            item.value.CopyFrom(_encode_value(value))  # the OTLP exporters' own encoding


def test_every_kind_of_value_is_stored_as_text_in_every_attribute_map(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    name = resource_spans.resource.attributes.add()
    name.key, name.value.string_value = "service.name", f"values-{unique}"
    _attributes(resource_spans.resource.attributes, "resource.")
    span = resource_spans.scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = os.urandom(16), os.urandom(8), "chat"
    span.start_time_unix_nano = time.time_ns()
    span.end_time_unix_nano = span.start_time_unix_nano + 1000
    _attributes(span.attributes)
    event = span.events.add()
    event.name, event.time_unix_nano = "exception", span.start_time_unix_nano
    _attributes(event.attributes)
    with grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        channel.unary_unary(EXPORT)(request.SerializeToString(), timeout=30)
    service.flush()

    stored = rows(store, "SELECT attributes, resource_attributes, events FROM spans FINAL WHERE service_name = {s:String}",
                  {"s": f"values-{unique}"})
    assert len(stored) == 1
    span_attributes, resource_attributes = dict(stored[0]["attributes"]), dict(stored[0]["resource_attributes"])
    event_attributes = dict(stored[0]["events"][0]["attributes"])
    expected = {key: text for key, (_, text) in VALUES.items()}
    assert span_attributes == expected
    assert event_attributes == expected
    assert {key.removeprefix("resource."): text for key, text in resource_attributes.items() if key != "service.name"} == expected
