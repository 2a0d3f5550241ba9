"""An agent built on Pydantic AI, with its OpenTelemetry instrumentation (GenAI conventions) on a tracer provider of
the test's own, exporting OTLP/HTTP to the running service; the provider faked at the wire (tests/fake_openai.py)."""

from __future__ import annotations

import json

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from pydantic_ai import Agent, InstrumentationSettings
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from tests.conftest import rows
from tests.fake_openai import ANSWER_USAGE, SNAPSHOTS, TOOL_CALL_USAGE, FakeOpenAI, Usage, gpt_4o_mini_cost


def test_pydantic_ai_agent_lands_with_tools_cache_and_reasoning(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    provider = TracerProvider(resource=Resource.create({"service.name": f"pai-{unique}", "service.version": "0.3.0"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{service.http_port}/v1/traces")))
    with FakeOpenAI() as fake:
        model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=fake.base_url, api_key="sk-fake"))
        agent = Agent(model, name="weather-assistant", capabilities=[Instrumentation(InstrumentationSettings(tracer_provider=provider))])

        @agent.tool_plain
        def get_weather(city: str, unit: str = "celsius") -> str:
            """Get the current weather for a city."""
            return json.dumps({"city": city, "temperature": 21, "unit": unit, "condition": "sunny"})

        answer = agent.run_sync("What's the weather in Paris right now, and what should I wear?").output
        served = [(call["api"], call["request_model"], call["status"]) for call in fake.ledger]
    provider.shutdown()
    assert answer and served == [("chat", "gpt-4o-mini", 200)] * 2
    service.flush()

    spans = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time", {"s": f"pai-{unique}"})
    assert [(span["name"], span["operation"], span["tool_name"]) for span in spans] == [
        ("invoke_agent weather-assistant", "invoke_agent", ""), ("chat gpt-4o-mini", "chat", ""),
        ("execute_tool get_weather", "execute_tool", "get_weather"), ("chat gpt-4o-mini", "chat", "")]
    # One run is one conversation (gen_ai.conversation.id) under its agent.
    assert len({span["session_id"] for span in spans}) == 1 and spans[0]["session_id"] != spans[0]["trace_id"]
    assert {(span["agent_name"], span["agent_version"]) for span in spans} == {("weather-assistant", "0.3.0")}
    # The agent span carries the run's totals only as gen_ai.aggregated_usage.*: not counted again.
    assert (spans[0]["input_tokens"], spans[0]["cost_source"]) == (0, "none")

    def chat(usage: Usage) -> tuple:  # type: ignore[type-arg]
        cost = gpt_4o_mini_cost(usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, usage.reasoning_tokens)
        return ("openai", SNAPSHOTS["gpt-4o-mini"], usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens,
                usage.reasoning_tokens, pytest.approx(cost, rel=1e-9), "computed")

    assert [(span["provider"], span["response_model"], span["input_tokens"], span["output_tokens"], span["cache_read_tokens"],
             span["reasoning_tokens"], span["cost_usd"], span["cost_source"]) for span in spans if span["operation"] == "chat"] == [
        chat(TOOL_CALL_USAGE), chat(ANSWER_USAGE)]
