"""Bad input gets a clear, final error and costs nothing else; a replayed request changes no count. Both transports."""

from __future__ import annotations

import gzip
import json
import time

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

from tests.conftest import rows
from tests.serve_process import PROTOBUF, ServeProcess, build_request, grpc_export, span_ids

MARK = "\x01MARK\x01"  # replaced by invalid UTF-8 of the same length in the serialized request
BAD_UTF8 = b"\xff\xfe\xc3(ab"  # as long as MARK


@pytest.fixture
def channel(service):  # type: ignore[no-untyped-def]
    with grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}", options=[("grpc.max_send_message_length", 64 << 20)]) as channel:
        yield channel


def _export(service, channel, transport: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    """Sends body over one transport; returns ('OK' | gRPC code name | HTTP status, response bytes)."""
    if transport == "grpc":
        code, response, _ = grpc_export(channel, body)
        return code.name, response
    response = httpx.post(f"http://127.0.0.1:{service.http_port}/v1/traces", content=body, headers=headers or PROTOBUF, timeout=30)
    return ("OK" if response.status_code == 200 else str(response.status_code)), response.content


def _stored(store, service_name: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return rows(store, "SELECT span_id, name, attributes FROM spans FINAL WHERE service_name = {s:String}", {"s": service_name})


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_undecodable_body_is_a_final_error_with_a_message(service, channel, transport) -> None:  # type: ignore[no-untyped-def]
    if transport == "grpc":
        call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        with pytest.raises(grpc.RpcError) as error:
            call(b"\xff\xfe not protobuf", timeout=10)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "not a valid ExportTraceServiceRequest" in error.value.details()
    else:
        answer, body = _export(service, channel, transport, b"\xff\xfe not protobuf")
        assert answer == "400" and b"not a valid ExportTraceServiceRequest" in body


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_invalid_spans_are_cut_out_and_reported(service, store, channel, unique, transport) -> None:  # type: ignore[no-untyped-def]
    request = ExportTraceServiceRequest.FromString(build_request(f"partial-{transport}-{unique}", span_ids(5)))
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[1].trace_id = b"\x01" * 15  # wrong id length
    spans[2].end_time_unix_nano = spans[2].start_time_unix_nano - 1  # ends before it starts
    spans[3].start_time_unix_nano = spans[3].end_time_unix_nano = 10**9  # 1970: absurd
    answer, body = _export(service, channel, transport, request.SerializeToString())
    assert answer == "OK"
    partial = ExportTraceServiceResponse.FromString(body).partial_success
    assert partial.rejected_spans == 3 and "trace_id must be 16 non-zero bytes" in partial.error_message
    service.flush()
    assert sorted(row["span_id"] for row in _stored(store, f"partial-{transport}-{unique}")) == sorted(spans[i].span_id.hex() for i in (0, 4))


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_bodies_over_the_limit_are_final_resource_errors(service, channel, transport) -> None:  # type: ignore[no-untyped-def]
    limit = service.settings.max_request_bytes
    oversized = build_request("too-large", span_ids(1), {"blob": "x" * (limit + 2048)})
    if transport == "grpc":
        code, _, delay = grpc_export(channel, oversized, timeout=60)
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and delay is None  # no RetryInfo: exporters do not retry
        compressed = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        with pytest.raises(grpc.RpcError) as error:  # a gzip bomb: small on the wire, over the limit inflated
            compressed(oversized, timeout=60, compression=grpc.Compression.Gzip)
        assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    else:
        assert _export(service, channel, transport, oversized)[0] == "413"
        bomb = gzip.compress(b"\0" * (limit + 10))
        assert _export(service, channel, transport, bomb, {**PROTOBUF, "Content-Encoding": "gzip"})[0] == "413"


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_invalid_utf8_is_stored_repaired_with_a_warning(service, store, channel, unique, transport) -> None:  # type: ignore[no-untyped-def]
    name = f"utf8-{transport}-{unique}"
    body = build_request(name, span_ids(2), {"gen_ai.prompt": f"hello {MARK} world"}).replace(MARK.encode(), BAD_UTF8)
    answer, response = _export(service, channel, transport, body)
    assert answer == "OK"
    partial = ExportTraceServiceResponse.FromString(response).partial_success
    assert partial.rejected_spans == 0 and "invalid UTF-8" in partial.error_message  # OTLP: a warning
    service.flush()
    assert [dict(row["attributes"])["gen_ai.prompt"] for row in _stored(store, name)] == ["hello \ufffd\ufffd\ufffd(ab world"] * 2


def test_invalid_utf8_in_json_is_repaired_too(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    now = str(time.time_ns())
    span = {"traceId": span_ids(2)[0].hex() * 2, "spanId": span_ids(1)[0].hex(), "name": "chat " + MARK,
            "startTimeUnixNano": now, "endTimeUnixNano": now}
    document = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": f"utf8-json-{unique}"}}]},
                                   "scopeSpans": [{"spans": [span]}]}]}
    body = json.dumps(document).encode().replace(json.dumps(MARK)[1:-1].encode(), BAD_UTF8)
    response = httpx.post(f"http://127.0.0.1:{service.http_port}/v1/traces", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and "invalid UTF-8" in response.json()["partialSuccess"]["errorMessage"]
    service.flush()
    assert [row["name"] for row in _stored(store, f"utf8-json-{unique}")] == ["chat \ufffd\ufffd\ufffd(ab"]


def test_oversized_attribute_values_are_truncated_with_a_marker(service, store, channel, unique) -> None:  # type: ignore[no-untyped-def]
    """In span attributes, event attributes and resource attributes alike; the model is still read from the whole value."""
    limit = service.settings.max_attribute_bytes
    big = '{"model": "gpt-4o", "prompt":  "' + "é" * limit + '"}'  # 32 bytes before the two-byte characters: cut between two
    request = ExportTraceServiceRequest.FromString(build_request(f"big-{unique}", span_ids(1), {
        "input.value": big, "input.mime_type": "application/json", "small": "kept"}))
    resource = request.resource_spans[0].resource.attributes.add()
    resource.key, resource.value.string_value = "host.description", "r" * (limit + 5)
    event = request.resource_spans[0].scope_spans[0].spans[0].events.add(name="exception")
    message = event.attributes.add()
    message.key, message.value.string_value = "exception.stacktrace", "s" * (limit + 7)
    answer, _ = _export(service, channel, "grpc", request.SerializeToString())
    assert answer == "OK"
    service.flush()
    [row] = rows(store, "SELECT attributes, resource_attributes, events, request_model FROM spans FINAL WHERE service_name = {s:String}",
                 {"s": f"big-{unique}"})
    attributes = dict(row["attributes"])
    assert attributes["small"] == "kept" and row["request_model"] == "gpt-4o"
    cut = len(big.encode()) - limit
    assert attributes["input.value"].encode() == big.encode()[:limit] + f"…[truncated {cut} bytes]".encode()
    assert dict(row["resource_attributes"])["host.description"] == "r" * limit + "…[truncated 5 bytes]"
    assert dict(row["events"][0]["attributes"])["exception.stacktrace"] == "s" * limit + "…[truncated 7 bytes]"


def test_a_replayed_request_changes_no_count(service, store, channel, unique) -> None:  # type: ignore[no-untyped-def]
    name = f"replay-{unique}"
    body = build_request(name, span_ids(4), {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": "1000",
                                             "gen_ai.usage.output_tokens": "200", "gen_ai.conversation.id": f"s-{unique}"})
    sql = ("SELECT count() AS spans, uniqExact(span_id) AS ids, sum(cost_usd) AS cost, sum(input_tokens) AS input,"
           " sum(output_tokens) AS output, uniqExact(session_id) AS sessions FROM spans FINAL WHERE service_name = {s:String}")
    assert _export(service, channel, "grpc", body)[0] == "OK"
    service.flush()
    first = rows(store, sql, {"s": name})
    before = service.writer.metrics
    rejected, dead = before.rejected_spans, before.dead_letter_spans
    for transport in ("grpc", "http", "grpc"):  # an exporter's retries after timeouts, on either transport
        assert _export(service, channel, transport, body)[0] == "OK"
    service.flush()
    assert rows(store, sql, {"s": name}) == first and first[0]["spans"] == 4 and first[0]["cost"] > 0
    assert (service.writer.metrics.rejected_spans, service.writer.metrics.dead_letter_spans) == (rejected, dead)
    assert service.writer.metrics.queue_bytes == 0


def test_metrics_health_and_readiness(service) -> None:  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{service.http_port}"
    text = httpx.get(base + "/metrics").text
    for name in ("accepted_spans_total", "rejected_spans_total", "stored_spans_total", "dead_letter_spans_total",
                 "backpressure_total", "queue_bytes", "queue_max_bytes", "spool_files", "spool_bytes", "store_up",
                 'flush_seconds_bucket{le="+Inf"}'):
        assert f"\nspanledger_{name} " in text, name
    assert httpx.get(base + "/healthz").json() == {"status": "ok"}
    assert httpx.get(base + "/readyz").json() == {"status": "ready"}



def test_a_backfill_over_many_days_is_stored_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Spans of 150 different days in one load, kept by a 400-day retention: more day partitions than ClickHouse lets
    one insert write by default, which would have refused the load and set the spool file aside."""
    request = ExportTraceServiceRequest.FromString(build_request("backfill", span_ids(150)))
    now = time.time_ns()
    for day, span in enumerate(request.resource_spans[0].scope_spans[0].spans):
        span.start_time_unix_nano = now - (day + 1) * 86_400 * 10**9
        span.end_time_unix_nano = span.start_time_unix_nano + 10**6
    server = ServeProcess(tmp_path / "data", {"SPANLEDGER_RETENTION_DAYS": "400"}).start()
    try:
        with grpc.insecure_channel(server.grpc_target) as channel:
            code, _, _ = grpc_export(channel, request.SerializeToString())
        assert code == grpc.StatusCode.OK
        metrics = server.wait_drained()
        assert metrics["dead_letter_spans_total"] == 0
        assert server.query("SELECT count(), uniqExact(toDate(start_time)) FROM spans FINAL") == [[150, 150]]
    finally:
        server.close()
