"""A two-agent run of the OpenAI Agents SDK (triage hands off to a specialist), traced by OpenInference's
instrumentation on a tracer provider of the test's own, exporting OTLP/HTTP to the running service; the provider
faked at the wire (tests/fake_openai.py)."""

from __future__ import annotations

import json

import pytest
from agents import Agent, Runner, function_tool, set_default_openai_api, set_default_openai_client
from openai import AsyncOpenAI
from openinference.instrumentation import using_session, using_user
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.conftest import rows, run_jobs
from tests.fake_openai import ANSWER_USAGE, TOOL_CALL_USAGE, FakeOpenAI, Usage, gpt_4o_mini_cost


def test_a_handoff_between_agents_is_no_tool_call_and_the_session_is_the_entry_agents(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    provider = TracerProvider(resource=Resource.create({"service.name": f"oaa-{unique}", "service.version": "1.2.0"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{service.http_port}/v1/traces")))
    instrumentor = OpenAIAgentsInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with FakeOpenAI() as fake:
            set_default_openai_client(AsyncOpenAI(base_url=fake.base_url, api_key="sk-fake"), use_for_tracing=False)
            set_default_openai_api("chat_completions")

            @function_tool
            def get_weather(city: str) -> str:
                """Get the current weather for a city."""
                return json.dumps({"city": city, "temperature": 21})

            weather = Agent(name="weather-assistant", instructions="Answer weather questions.", model="gpt-4o-mini", tools=[get_weather])
            triage = Agent(name="triage", instructions="Hand weather questions off.", model="gpt-4o-mini", handoffs=[weather])
            with using_session(f"conv-{unique}"), using_user("u-9"):
                answer = Runner.run_sync(triage, "What's the weather in Paris?").final_output
            served = [(call["api"], call["request_model"], call["status"]) for call in fake.ledger]
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
    # The fake calls the one tool triage is offered (the handoff), then the specialist answers.
    assert answer and served == [("chat", "gpt-4o-mini", 200)] * 2
    service.flush()

    spans = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time, name", {"s": f"oaa-{unique}"})
    assert [(span["name"], span["operation"], span["tool_name"]) for span in spans] == [
        ("Agent workflow", "invoke_agent", ""), ("Agent workflow", "other", ""),
        ("triage", "invoke_agent", ""), ("turn", "other", ""), ("generation", "chat", ""),
        # the SDK's handoff, a TOOL span through OpenInference: neither a tool call nor an escalation to a person
        ("handoff to weather-assistant", "other", ""),
        ("weather-assistant", "invoke_agent", ""), ("turn", "other", ""), ("generation", "chat", "")]
    assert {(span["session_id"], span["user_id"]) for span in spans} == {(f"conv-{unique}", "u-9")}

    def chat(usage: Usage) -> tuple:  # type: ignore[type-arg]
        # This instrumentation passes on no cache count for chat completions: all input is priced as uncached.
        cost = gpt_4o_mini_cost(usage.prompt_tokens, 0, usage.completion_tokens, 0)
        return ("openai", "gpt-4o-mini", usage.prompt_tokens, usage.completion_tokens, pytest.approx(cost, rel=1e-9), "computed")

    assert [(span["provider"], span["request_model"], span["input_tokens"], span["output_tokens"], span["cost_usd"],
             span["cost_source"]) for span in spans if span["operation"] == "chat"] == [chat(TOOL_CALL_USAGE), chat(ANSWER_USAGE)]

    run_jobs(service)
    # The workflow's root names no agent: the session is the entry agent's (the first a span names), under the
    # service's version, with its two model calls, no tool call and no escalation.
    session = rows(store, "SELECT agent_name, agent_version, model_calls, tool_calls, handoffs, spans FROM sessions FINAL "
                          "WHERE session_id = {s:String}", {"s": f"conv-{unique}"})
    assert session == [{"agent_name": "triage", "agent_version": "1.2.0", "model_calls": 2, "tool_calls": 0, "handoffs": 0, "spans": 9}]
