"""Spans from the Langfuse Python SDK (v3 and later, OTel based), unchanged: it exports OTLP/HTTP protobuf to
its own path, /api/public/otel/v1/traces, with its public and secret key as Basic auth."""

from __future__ import annotations

from langfuse import Langfuse, propagate_attributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tests.conftest import rows


def test_langfuse_sdk_session_lands_with_agent_version_environment_and_cost(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # A provider of the test's own: left alone, the SDK would install its provider as the process's global one.
    provider = TracerProvider(resource=Resource.create({"service.name": f"lf-{unique}"}))
    langfuse = Langfuse(public_key=f"pk-lf-{unique}", secret_key=f"sk-lf-{unique}", base_url=f"http://127.0.0.1:{service.http_port}",
                        environment="staging", release="r-42", tracer_provider=provider)
    with propagate_attributes(session_id=f"sess-{unique}", user_id="user-7", version="7.1.0"):
        with langfuse.start_as_current_observation(name="refund-agent", as_type="agent", input={"q": "refund order 42"}):
            with langfuse.start_as_current_observation(name="plan", as_type="generation", model="gpt-4o-2024-11-20",
                                                       usage_details={"input": 1000, "output": 200}, cost_details={"total": 0.0123}):
                pass
            with langfuse.start_as_current_observation(name="answer", as_type="generation", model="gpt-4o-2024-11-20",
                                                       usage_details={"input": 2000, "output": 100}):
                pass
            with langfuse.start_as_current_observation(name="summary", as_type="generation", model="claude-haiku-4-5",
                                                       usage_details={"input": 300, "cache_read_input_tokens": 1200,
                                                                      "cache_creation_input_tokens": 100, "output": 80},
                                                       cost_details={"input": 0.0003, "output": 0.0004}):
                pass
            with langfuse.start_as_current_observation(name="get_order", as_type="tool", level="ERROR",
                                                       status_message="order service timed out"):
                pass
    langfuse.shutdown()
    service.flush()
    spans = {row["name"]: row for row in rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String}", {"s": f"lf-{unique}"})}
    assert sorted(spans) == ["answer", "get_order", "plan", "refund-agent", "summary"]
    agent, plan, answer, tool = spans["refund-agent"], spans["plan"], spans["answer"], spans["get_order"]
    # The agent observation names the agent; the session, user, version (langfuse.version) and environment
    # (langfuse.environment, no deployment.environment in the resource) hold for every span of the trace.
    for span in spans.values():
        assert (span["agent_name"], span["agent_version"], span["environment"], span["session_id"], span["user_id"]) == (
            "refund-agent", "7.1.0", "staging", f"sess-{unique}", "user-7")
        assert span["trace_id"] == agent["trace_id"]
    assert agent["operation"] == "invoke_agent" and agent["parent_span_id"] == ""
    assert (plan["operation"], plan["request_model"], plan["input_tokens"], plan["output_tokens"]) == ("chat", "gpt-4o-2024-11-20", 1000, 200)
    assert (plan["cost_usd"], plan["cost_source"]) == (0.0123, "provided")  # Langfuse's cost_details total
    # No cost given: priced from the table, the dated snapshot as gpt-4o ($2.50 in, $10 out per million tokens).
    assert answer["cost_source"] == "computed" and abs(answer["cost_usd"] - (2000 * 2.50 + 100 * 10.00) / 1e6) < 1e-12
    # Langfuse's own usage buckets are disjoint: the input column counts them all, with the cache reads and writes
    # beside it; a cost given in parts without a total is their sum.
    summary = spans["summary"]
    assert (summary["input_tokens"], summary["cache_read_tokens"], summary["cache_write_tokens"], summary["output_tokens"]) == (
        1600, 1200, 100, 80)
    assert summary["cost_source"] == "provided" and abs(summary["cost_usd"] - 0.0007) < 1e-12
    assert (tool["operation"], tool["tool_name"], tool["status_code"], tool["status_message"]) == (
        "execute_tool", "get_order", "ERROR", "order service timed out")
