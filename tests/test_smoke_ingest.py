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


def _one_span(service, service_name: str, attributes: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    exporter = GrpcExporter(endpoint=f"http://127.0.0.1:{service.grpc_port}", insecure=True)
    provider = _provider(exporter, service_name)
    with provider.get_tracer("test").start_as_current_span("chat", attributes=attributes):
        pass
    provider.shutdown()
    service.flush()


def test_anthropic_usage_is_normalised_and_priced_per_token_kind(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # Raw Anthropic usage: input_tokens leaves out cache reads and writes (60 < 56 + 12), so they are added.
    _one_span(service, f"raw-{unique}", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.response.model": "claude-sonnet-4-5-20250929", "gen_ai.usage.input_tokens": 60,
        "gen_ai.usage.cache_read.input_tokens": 56, "gen_ai.usage.cache_write.input_tokens": 12, "gen_ai.usage.output_tokens": 22})
    span = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String}", {"s": f"raw-{unique}"})[0]
    assert (span["input_tokens"], span["cache_read_tokens"], span["cache_write_tokens"], span["output_tokens"]) == (128, 56, 12, 22)
    # claude-sonnet-4-5 per million: input $3, cache read $0.30, cache write $3.75, output $15.
    assert abs(span["cost_usd"] - (60 * 3 + 56 * 0.30 + 12 * 3.75 + 22 * 15) / 1e6) < 1e-12


def test_reasoning_tokens_are_part_of_output_and_priced_once(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    _one_span(service, f"o4-{unique}", {
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "o4-mini", "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 500, "gen_ai.usage.reasoning.output_tokens": 400})
    span = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String}", {"s": f"o4-{unique}"})[0]
    assert (span["output_tokens"], span["reasoning_tokens"]) == (500, 400)
    assert abs(span["cost_usd"] - (1000 * 1.10 + 500 * 4.40) / 1e6) < 1e-12


def test_unknown_model_is_unpriced_not_free_and_provided_cost_is_kept(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    _one_span(service, f"unpriced-{unique}", {"gen_ai.request.model": "acme-llm-7b", "gen_ai.usage.input_tokens": 10})
    _one_span(service, f"provided-{unique}", {"llm.model_name": "gpt-4o", "llm.token_count.prompt": 10, "llm.cost.total": 0.25})
    unpriced = rows(store, "SELECT cost_usd, cost_source FROM spans FINAL WHERE service_name = {s:String}", {"s": f"unpriced-{unique}"})
    provided = rows(store, "SELECT cost_usd, cost_source FROM spans FINAL WHERE service_name = {s:String}", {"s": f"provided-{unique}"})
    assert unpriced == [{"cost_usd": 0.0, "cost_source": "unpriced"}]
    assert provided == [{"cost_usd": 0.25, "cost_source": "provided"}]


def test_a_handoff_between_agents_is_no_escalation(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # The OpenAI Agents SDK (through Logfire) names a delegation "Handoff: triage → billing" with from_agent and
    # to_agent; a handoff to a person is a span named so without a target agent, or one marked as a handoff.
    exporter = GrpcExporter(endpoint=f"http://127.0.0.1:{service.grpc_port}", insecure=True)
    provider = _provider(exporter, f"handoff-{unique}")
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("invoke_agent triage", attributes={"gen_ai.operation.name": "invoke_agent"}):
        with tracer.start_as_current_span("Handoff: triage → billing", attributes={"from_agent": "triage", "to_agent": "billing"}):
            pass
        with tracer.start_as_current_span("handoff to human", attributes={"reason": "refund over limit"}):
            pass
        with tracer.start_as_current_span("escalate", attributes={"spanledger.handoff": "true"}):
            pass
    provider.shutdown()
    service.flush()
    found = rows(store, "SELECT name, operation FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time", {"s": f"handoff-{unique}"})
    assert [(row["name"], row["operation"]) for row in found] == [
        ("invoke_agent triage", "invoke_agent"), ("Handoff: triage → billing", "other"), ("handoff to human", "handoff"),
        ("escalate", "handoff")]
