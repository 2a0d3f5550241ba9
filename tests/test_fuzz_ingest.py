"""Fuzzing both transports with mutated OTLP: the server never fails (no gRPC UNKNOWN, no HTTP 5xx, still
serving), and a valid span never pays for an invalid one that shared its request."""

from __future__ import annotations

import json
import os
import time

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

from tests.conftest import rows
from tests.serve_process import build_request, grpc_export, span_ids

DEFECTS = ("", "", "", "short_trace_id", "zero_span_id", "long_span_id", "bad_parent", "end_before_start", "ancient", "future")
MARK, BAD_UTF8 = b"\x01MARK\x01", b"\xc3(\xff\xfeab"  # same length: the framing stays intact
FUZZ = settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
values = st.one_of(text, st.integers(-(2**63), 2**63 - 1), st.booleans(), st.floats(), st.binary(max_size=20))
spans = st.lists(st.tuples(st.sampled_from(DEFECTS), st.dictionaries(text, values, max_size=3), st.booleans()), min_size=1, max_size=6)


@pytest.fixture
def channel(service):  # type: ignore[no-untyped-def]
    with grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        yield channel


def _send(service, channel, transport: str, body: bytes, content_type: str = "application/x-protobuf") -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    if transport == "grpc":
        code, response, _ = grpc_export(channel, body)
        return code.name, response
    response = httpx.post(f"http://127.0.0.1:{service.http_port}/v1/traces", content=body, headers={"Content-Type": content_type}, timeout=30)
    return ("OK" if response.status_code == 200 else str(response.status_code)), response.content


def _build(service_name: str, drawn: list) -> tuple[bytes, list[str], list[str]]:  # type: ignore[type-arg]
    """A request of the drawn spans; returns it, the valid span ids and the (unique) invalid ones."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    item = resource_spans.resource.attributes.add()
    item.key, item.value.string_value = "service.name", service_name
    scope = resource_spans.scope_spans.add()
    valid, invalid, now = [], [], time.time_ns()
    for defect, attributes, bad_utf8 in drawn:
        span = scope.spans.add()
        span.trace_id, span.span_id, span.name = os.urandom(16), os.urandom(8), "chat" + (MARK.decode() if bad_utf8 else "")
        span.start_time_unix_nano, span.end_time_unix_nano = now, now + 5
        for key, value in attributes.items():
            item = span.attributes.add()
            item.key = key
            field = {str: "string_value", bool: "bool_value", int: "int_value", float: "double_value", bytes: "bytes_value"}[type(value)]
            setattr(item.value, field, value)
        if defect == "short_trace_id":
            span.trace_id = span.trace_id[:15]
        elif defect == "zero_span_id":
            span.span_id = bytes(8)
        elif defect == "long_span_id":
            span.span_id += b"\x01"
        elif defect == "bad_parent":
            span.parent_span_id = b"\x01\x02\x03"
        elif defect == "end_before_start":
            span.end_time_unix_nano = now - 1
        elif defect == "ancient":
            span.start_time_unix_nano = span.end_time_unix_nano = now - 11 * 365 * 24 * 3600 * 10**9
        elif defect == "future":
            span.start_time_unix_nano = span.end_time_unix_nano = now + 2 * 24 * 3600 * 10**9
        (invalid if defect else valid).append(span.span_id.hex())
    invalid = [span_id for span_id in invalid if span_id != bytes(8).hex()]
    return request.SerializeToString().replace(MARK, BAD_UTF8), valid, invalid


def test_valid_spans_survive_invalid_neighbours_on_both_transports(service, store, channel, unique) -> None:  # type: ignore[no-untyped-def]
    service_name = f"fuzz-{unique}"
    expected, unexpected = set(), set()

    @FUZZ
    @given(drawn=spans, transport=st.sampled_from(["grpc", "http"]))
    def exchange(drawn: list, transport: str) -> None:  # type: ignore[type-arg]
        body, valid, invalid = _build(service_name, drawn)
        answer, response = _send(service, channel, transport, body)
        assert answer == "OK", (answer, response[:300])
        partial = ExportTraceServiceResponse.FromString(response).partial_success
        assert partial.rejected_spans == len(drawn) - len(valid)
        expected.update(valid)
        unexpected.update(invalid)

    exchange()
    service.flush()
    stored = {row["span_id"] for row in rows(store, "SELECT span_id FROM spans FINAL WHERE service_name = {s:String}", {"s": service_name})}
    assert expected <= stored, f"{len(expected - stored)} valid spans lost"
    assert not stored & unexpected


MUTATIONS = st.lists(st.tuples(st.sampled_from(["flip", "delete", "insert", "truncate", "repeat"]),
                               st.integers(min_value=0, max_value=10_000), st.binary(min_size=1, max_size=4)), min_size=1, max_size=4)


def _mutate(body: bytes, mutations: list) -> bytes:  # type: ignore[type-arg]
    for kind, position, data in mutations:
        at = position % max(len(body), 1)
        if kind == "flip":
            body = body[:at] + bytes([body[at] ^ data[0]]) + body[at + 1:] if body else body
        elif kind == "delete":
            body = body[:at] + body[at + len(data):]
        elif kind == "insert":
            body = body[:at] + data + body[at:]
        elif kind == "truncate":
            body = body[:at]
        else:
            body = body[:at] + body[at:at + 8] * 3 + body[at:]
    return body


def test_mutated_bytes_never_break_the_server(service, channel, unique) -> None:  # type: ignore[no-untyped-def]
    protobuf = build_request(f"fuzz-bytes-{unique}", span_ids(3), {"gen_ai.request.model": "gpt-4o"})
    document = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": f"fuzz-bytes-{unique}"}}]},
                                   "scopeSpans": [{"spans": [{"traceId": os.urandom(16).hex(), "spanId": os.urandom(8).hex(), "name": "chat",
                                                              "startTimeUnixNano": str(time.time_ns()), "endTimeUnixNano": str(time.time_ns())}]}]}]}
    bases = {"grpc": protobuf, "http": protobuf, "http-json": json.dumps(document).encode()}
    final = {"grpc": {"OK", "INVALID_ARGUMENT"}, "http": {"OK", "400"}, "http-json": {"OK", "400"}}

    @FUZZ
    @given(transport=st.sampled_from(sorted(bases)), mutations=MUTATIONS)
    def exchange(transport: str, mutations: list) -> None:  # type: ignore[type-arg]
        body = _mutate(bases[transport], mutations)
        json_body = transport == "http-json"
        answer, response = _send(service, channel, transport.removesuffix("-json"), body,
                                 "application/json" if json_body else "application/x-protobuf")
        assert answer in final[transport], (answer, response[:300])
        if answer == "OK" and not json_body:
            ExportTraceServiceResponse.FromString(response)

    exchange()
    assert httpx.get(f"http://127.0.0.1:{service.http_port}/healthz").status_code == 200
    assert grpc_export(channel, build_request(f"fuzz-after-{unique}", span_ids(1)))[0] == grpc.StatusCode.OK
