"""Real captured export requests (tests/fixtures/otlp, a copy of shared/fixtures/otlp) replayed into the running service, checked against their manifests.

Each capture is sent over its own transport, request by request as captured; only its trace ids are made fresh
and its timestamps moved to now, so re-runs and other tests never share a trace.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.conftest import FIXTURES, rows

CAPTURES = ["openai_v2_default", "openai_v2_latest_experimental", "openinference", "traceloop"]
EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
MODEL_CALLS = ("chat", "text_completion")

# The oracle for cost, USD per million tokens, copied by hand from store/prices.csv (2026-11-24):
# (input, cached input, cache write, output, reasoning).
PRICES = {
    "gpt-4o-mini": (0.15, 0.075, 0.15, 0.60, 0.60),
    "o4-mini": (1.10, 0.275, 1.10, 4.40, 4.40),
    "text-embedding-3-small": (0.02, 0.02, 0.02, 0.0, 0.0),
    "claude-sonnet-4-5": (3.00, 0.30, 3.75, 15.00, 15.00),
}


def rewritten_requests(capture: Path) -> tuple[list[tuple[dict, bytes]], set[str]]:
    """The capture's trace requests in send order, with fresh trace ids and times shifted so the first span starts now.

    Returns (request meta, request bytes) pairs and the new trace ids (hex).
    """
    requests = [(json.loads(path.with_suffix(".meta.json").read_text()), ExportTraceServiceRequest.FromString(path.read_bytes()))
                for path in sorted(capture.glob("traces-*.pb"))]
    spans = [span for _, request in requests for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]
    assert spans, f"{capture} holds no spans"
    delta = time.time_ns() - min(span.start_time_unix_nano for span in spans)
    new_ids: dict[bytes, bytes] = {}
    for span in spans:
        span.trace_id = new_ids.setdefault(span.trace_id, os.urandom(16))
        span.start_time_unix_nano += delta
        span.end_time_unix_nano += delta
        for event in span.events:
            event.time_unix_nano += delta
        for link in span.links:
            link.trace_id = new_ids.setdefault(link.trace_id, os.urandom(16))
    return [(meta, request.SerializeToString()) for meta, request in requests], {trace_id.hex() for trace_id in new_ids.values()}


def send_as_captured(service, meta: dict, body: bytes) -> None:  # type: ignore[no-untyped-def]
    """Sends one request on the transport it was captured from and checks that no span was rejected."""
    if meta["transport"] == "grpc":
        assert meta["path"] == EXPORT_METHOD, meta
        with grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
            export = channel.unary_unary(meta["path"], request_serializer=None, response_deserializer=None)
            answer = export(body, timeout=30)
    else:
        assert (meta["transport"], meta["path"], meta["content_encoding"]) == ("http", "/v1/traces", None), meta
        response = httpx.post(f"http://127.0.0.1:{service.http_port}{meta['path']}", content=body,
                              headers={"Content-Type": meta["content_type"]}, timeout=30)
        assert response.status_code == 200, response.text
        answer = response.content
    partial = ExportTraceServiceResponse.FromString(answer).partial_success
    assert partial.rejected_spans == 0, partial.error_message


def oracle_cost(span: dict) -> float:
    """Cost of one stored span by the documented formula, priced by its (undated) request model."""
    price_in, price_cached, price_write, price_out, price_reasoning = PRICES[span["request_model"]]
    cached, written, reasoning = span["cache_read_tokens"], span["cache_write_tokens"], span["reasoning_tokens"]
    uncached = span["input_tokens"] - cached - written
    return (uncached * price_in + cached * price_cached + written * price_write
            + (span["output_tokens"] - reasoning) * price_out + reasoning * price_reasoning) / 1e6


@pytest.mark.parametrize("capture", CAPTURES)
def test_capture_replays_into_expected_columns(service, store, capture: str) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / capture
    manifest = json.loads((folder / "manifest.json").read_text())
    expected = manifest["expected"]
    requests, trace_ids = rewritten_requests(folder)
    assert len(requests) == manifest["trace_requests"] and len(trace_ids) == 1
    for meta, body in requests:
        send_as_captured(service, meta, body)
    service.flush()

    spans = rows(store, "SELECT * FROM spans FINAL WHERE trace_id = {t:String} ORDER BY start_time, span_id",
                 {"t": trace_ids.pop()})
    assert len(spans) == sum(request["spans"] or 0 for request in manifest["requests"] if request["signal"] == "traces")

    def where(*operations: str) -> list[dict]:
        return [span for span in spans if span["operation"] in operations]

    model_calls, embeddings = where(*MODEL_CALLS), where("embeddings")
    agents = where("invoke_agent")
    assert len(agents) == expected["agent_root_spans"]
    assert [span["parent_span_id"] for span in agents] == [""] * len(agents), "the agent span is the trace's root"
    assert len(model_calls) == expected["model_call_spans"]
    assert len(where("execute_tool")) == expected["tool_call_spans"]
    assert len(embeddings) == expected["embedding_spans"]
    errors = [span for span in spans if span["status_code"] == "ERROR"]
    assert len(errors) == expected["error_spans"]
    assert all(span["operation"] in MODEL_CALLS for span in errors)

    assert {span["request_model"] for span in spans} - {""} == set(expected["request_models"])
    assert {span["response_model"] for span in spans} - {""} == set(expected["response_models"])
    assert {span["tool_name"] for span in spans} - {""} == set(expected["tool_names"])
    assert [span["tool_name"] for span in where("execute_tool")] == expected["tool_names"]

    succeeded = [span for span in model_calls if span["status_code"] != "ERROR"]
    assert len(succeeded) == expected["model_call_spans_ok"]
    assert sum(span["input_tokens"] for span in succeeded) == expected["input_tokens"]
    assert sum(span["output_tokens"] for span in succeeded) == expected["output_tokens"]
    # null: the library never reported the figure, so the store must not have invented one either.
    assert sum(span["cache_read_tokens"] for span in spans) == (expected["cached_tokens"] or 0)
    assert sum(span["reasoning_tokens"] for span in spans) == (expected["reasoning_tokens"] or 0)
    assert sum(span["input_tokens"] for span in embeddings) == expected["embedding_input_tokens"]
    assert sum(span["input_tokens"] + span["output_tokens"] for span in spans if span["operation"] not in MODEL_CALLS + ("embeddings",)) == 0

    for column in ("session_id", "user_id", "agent_name"):
        assert {span[column] for span in spans} == {expected[column]}, column

    assert "unpriced" not in {span["cost_source"] for span in spans}
    for span in spans:
        if span["input_tokens"] + span["output_tokens"] > 0:
            assert span["cost_source"] == "computed", span["name"]
            assert span["cost_usd"] > 0 and span["cost_usd"] == pytest.approx(oracle_cost(span), rel=1e-9, abs=1e-15), span["name"]
        else:
            assert (span["cost_source"], span["cost_usd"]) == ("none", 0), span["name"]
    assert len(succeeded) + len(embeddings) == sum(span["cost_source"] == "computed" for span in spans)
