"""OTLP/HTTP details a user's exporter relies on: JSON bodies, gzip, Langfuse's path, clear errors."""

from __future__ import annotations

import gzip
import json
import os
import time

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

from tests.conftest import rows


def _request(service_name: str, spans: int = 2, trace_id: bytes | None = None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    attribute = resource_spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", service_name
    scope = resource_spans.scope_spans.add()
    trace = trace_id or os.urandom(16)
    now = time.time_ns()
    for index in range(spans):
        span = scope.spans.add()
        span.trace_id, span.span_id, span.name = trace, os.urandom(8), f"span-{index}"
        span.start_time_unix_nano, span.end_time_unix_nano = now, now + 1_000_000
    return request


def _url(service, path: str = "/v1/traces") -> str:  # type: ignore[no-untyped-def]
    return f"http://127.0.0.1:{service.http_port}{path}"


def _count(store, service_name: str) -> int:  # type: ignore[no-untyped-def]
    return rows(store, "SELECT count() AS n FROM spans FINAL WHERE service_name = {s:String}", {"s": service_name})[0]["n"]


def test_json_body_with_hex_ids(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    trace_id, span_id = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
    body = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": f"json-{unique}"}}]},
        "scopeSpans": [{"scope": {"name": "manual"}, "spans": [{
            "traceId": trace_id, "spanId": span_id, "name": "chat claude-sonnet-4-5", "kind": 3,
            "startTimeUnixNano": str(time.time_ns()), "endTimeUnixNano": str(time.time_ns() + 5_000_000),
            "attributes": [
                {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                {"key": "gen_ai.request.model", "value": {"stringValue": "claude-sonnet-4-5"}},
                {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "2000"}},
                {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "100"}},
                {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "2"}]}}},
            ],
            "status": {"code": 2, "message": "rate limited"}}]}]}]}
    response = httpx.post(_url(service), json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    service.flush()
    found = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String}", {"s": f"json-{unique}"})
    assert len(found) == 1
    span = found[0]
    assert (span["trace_id"], span["span_id"]) == (trace_id, span_id)
    assert span["status_code"] == "ERROR" and span["status_message"] == "rate limited" and span["kind"] == "CLIENT"
    # claude-sonnet-4-5: $3 in, $15 out per million tokens.
    assert abs(span["cost_usd"] - (2000 * 3 + 100 * 15) / 1e6) < 1e-12
    assert dict(span["attributes"])["tags"] == '["a",2]'


def test_gzip_protobuf_on_the_langfuse_path(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    body = gzip.compress(_request(f"gz-{unique}", spans=3).SerializeToString())
    response = httpx.post(_url(service, "/api/public/otel/v1/traces"), content=body,
                          headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
    assert response.status_code == 200
    ExportTraceServiceResponse.FromString(response.content)
    service.flush()
    assert _count(store, f"gz-{unique}") == 3


def test_undecodable_body_is_a_clear_400(service) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(_url(service), content=b"\xff\xfe not protobuf", headers={"Content-Type": "application/x-protobuf"})
    assert response.status_code == 400
    response = httpx.post(_url(service), content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["message"]


def test_gzip_bomb_is_refused_as_too_large(service) -> None:  # type: ignore[no-untyped-def]
    bomb = gzip.compress(b"\0" * (service.settings.max_request_bytes + 10))
    response = httpx.post(_url(service), content=bomb, headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
    assert response.status_code == 413


def test_invalid_spans_are_reported_and_the_rest_stored(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    request = _request(f"partial-{unique}", spans=3)
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[1].span_id = b"\x01\x02"  # wrong length
    spans[2].end_time_unix_nano = spans[2].start_time_unix_nano - 1  # ends before it starts
    response = httpx.post(_url(service), content=request.SerializeToString(), headers={"Content-Type": "application/x-protobuf"})
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 2
    assert "span_id must be 8 non-zero bytes" in answer.partial_success.error_message or "before" in answer.partial_success.error_message
    service.flush()
    assert _count(store, f"partial-{unique}") == 1


def test_retried_request_counts_once(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    body = _request(f"retry-{unique}", spans=4).SerializeToString()
    for _ in range(3):
        assert httpx.post(_url(service), content=body, headers={"Content-Type": "application/x-protobuf"}).status_code == 200
    service.flush()
    assert _count(store, f"retry-{unique}") == 4


def test_query_api_refuses_writes(service) -> None:  # type: ignore[no-untyped-def]
    for sql in ["INSERT INTO spans (trace_id) VALUES ('x')", "DROP TABLE spans", "SELECT 1; DROP TABLE spans",
                "ALTER TABLE spans DELETE WHERE 1"]:
        response = httpx.post(_url(service, "/api/query"), json={"sql": sql})
        assert response.status_code == 400, sql
    response = httpx.post(_url(service, "/api/query"), json={"sql": "SELECT 1 AS one, 'a;b' AS text"})
    assert response.json() == {"columns": ["one", "text"], "rows": [[1, "a;b"]]}


def test_metrics_endpoint_counts(service) -> None:  # type: ignore[no-untyped-def]
    text = httpx.get(_url(service, "/metrics")).text
    assert "spanledger_stored_spans_total" in text and "spanledger_flush_seconds_bucket" in text
    assert httpx.get(_url(service, "/readyz")).json() == {"status": "ready"}
    assert json.loads(httpx.get(_url(service, "/healthz")).text)["status"] == "ok"
