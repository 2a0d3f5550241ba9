"""Spans in through the official OTLP exporters (gRPC and HTTP), out through the store."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.conftest import rows


def _provider(exporter, service_name: str) -> TracerProvider:  # type: ignore[no-untyped-def]
    provider = TracerProvider(resource=Resource.create({"service.name": service_name, "service.version": "3.1.0",
                                                        "deployment.environment.name": "staging"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _agent_session(provider: TracerProvider, session: str) -> None:
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("invoke_agent planner", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner", "gen_ai.conversation.id": session}):
        with tracer.start_as_current_span("chat gpt-4o", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-11-20", "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 200, "gen_ai.response.finish_reasons": ["stop"]}):
            pass
    provider.shutdown()


def test_grpc_exporter_spans_land_with_tokens_and_cost(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    exporter = GrpcExporter(endpoint=f"http://127.0.0.1:{service.grpc_port}", insecure=True)
    _agent_session(_provider(exporter, f"svc-{unique}"), f"sess-{unique}")
    service.flush()
    found = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time", {"s": f"svc-{unique}"})
    assert [row["name"] for row in found] == ["invoke_agent planner", "chat gpt-4o"]
    chat = found[1]
    assert chat["operation"] == "chat" and chat["agent_name"] == "planner" and chat["agent_version"] == "3.1.0"
    assert chat["session_id"] == f"sess-{unique}" and chat["environment"] == "staging"
    assert (chat["input_tokens"], chat["output_tokens"]) == (1000, 200)
    # gpt-4o: $2.50 in, $10 out per million tokens; the dated snapshot prices as gpt-4o.
    assert chat["cost_source"] == "computed" and abs(chat["cost_usd"] - 0.0045) < 1e-12
    assert dict(chat["attributes"])["gen_ai.response.finish_reasons"] == '["stop"]'
    assert len(chat["trace_id"]) == 32 and chat["parent_span_id"] == found[0]["span_id"]


def test_http_exporter_spans_land(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    exporter = HttpExporter(endpoint=f"http://127.0.0.1:{service.http_port}/v1/traces")
    _agent_session(_provider(exporter, f"svc-{unique}"), f"sess-{unique}")
    service.flush()
    found = rows(store, "SELECT count() AS n, sum(cost_usd) AS cost FROM spans FINAL WHERE service_name = {s:String}", {"s": f"svc-{unique}"})
    assert found[0]["n"] == 2 and abs(found[0]["cost"] - 0.0045) < 1e-12
