"""A two-agent run of the OpenAI Agents SDK (triage hands off to a specialist) on the Responses API, traced by
OpenInference's, OpenLLMetry's and Logfire's instrumentation of it, each on a tracer provider of its own exporting
OTLP/HTTP to the running service; the provider faked at the wire (tests/fake_openai.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from agents import Agent, Runner, function_tool, set_default_openai_api, set_default_openai_client
from openai import AsyncOpenAI
from openinference.instrumentation import using_session, using_user
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor as OpenInferenceInstrumentor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_agents import OpenAIAgentsInstrumentor as OpenLLMetryInstrumentor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.conftest import instrumented, rows, run_jobs
from tests.fake_openai import ANSWER_USAGE, SNAPSHOTS, TOOL_CALL_USAGE, FakeOpenAI, Usage, gpt_4o_mini_cost


def run_triage(fake: FakeOpenAI) -> str:
    """triage is offered one tool, the handoff, which the fake calls; the specialist then answers."""
    set_default_openai_client(AsyncOpenAI(base_url=fake.base_url, api_key="sk-fake"), use_for_tracing=False)
    set_default_openai_api("responses")

    @function_tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return json.dumps({"city": city, "temperature": 21})

    weather = Agent(name="weather-assistant", instructions="Answer weather questions.", model="gpt-4o-mini", tools=[get_weather])
    triage = Agent(name="triage", instructions="Hand weather questions off.", model="gpt-4o-mini", handoffs=[weather])
    answer = Runner.run_sync(triage, "What's the weather in Paris?").final_output
    assert answer and [(call["api"], call["request_model"], call["status"]) for call in fake.ledger] == [("responses", "gpt-4o-mini", 200)] * 2
    return str(answer)


def call(request_model: str, usage: Usage) -> tuple:  # type: ignore[type-arg]
    cost = gpt_4o_mini_cost(usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, usage.reasoning_tokens)
    return (request_model, SNAPSHOTS["gpt-4o-mini"], usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens,
            usage.reasoning_tokens, pytest.approx(cost, rel=1e-9), "computed")


def calls(spans: list[dict]) -> list[tuple]:  # type: ignore[type-arg]
    return [(span["request_model"], span["response_model"], span["input_tokens"], span["output_tokens"], span["cache_read_tokens"],
             span["reasoning_tokens"], span["cost_usd"], span["cost_source"]) for span in spans if span["operation"] == "chat"]


def session_row(store, session_id: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return rows(store, "SELECT agent_name, agent_version, model_calls, tool_calls, handoffs, spans, cost_usd FROM sessions FINAL "
                       "WHERE session_id = {s:String}", {"s": session_id})


def test_openinference_a_handoff_is_no_tool_call_and_the_session_is_the_entry_agents(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    with FakeOpenAI() as fake, instrumented(service, f"oia-{unique}", OpenInferenceInstrumentor()):
        with using_session(f"conv-{unique}"), using_user("u-9"):
            run_triage(fake)

    spans = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time, name", {"s": f"oia-{unique}"})
    # Each span is its nearest agent's, though the trace holds two (sql/queries/repair_span_agents.sql); the workflow's
    # spans, above every agent, are the entry agent's.
    assert [(span["name"], span["operation"], span["tool_name"], span["agent_name"]) for span in spans] == [
        ("Agent workflow", "invoke_agent", "", "triage"), ("Agent workflow", "other", "", "triage"),
        ("triage", "invoke_agent", "", "triage"), ("turn", "other", "", "triage"), ("response", "chat", "", "triage"),
        # the SDK's handoff, a TOOL span here: neither a tool call nor an escalation to a person
        ("handoff to weather-assistant", "other", "", "triage"),
        ("weather-assistant", "invoke_agent", "", "weather-assistant"), ("turn", "other", "", "weather-assistant"),
        ("response", "chat", "", "weather-assistant")]
    assert {(span["session_id"], span["user_id"]) for span in spans} == {(f"conv-{unique}", "u-9")}
    # llm.model_name, its one model attribute, holds the model that answered; cache reads and reasoning come through.
    assert calls(spans) == [call(SNAPSHOTS["gpt-4o-mini"], TOOL_CALL_USAGE), call(SNAPSHOTS["gpt-4o-mini"], ANSWER_USAGE)]

    run_jobs(service)
    # The workflow's root names no agent: the session is the entry agent's (the first a span names itself), under the
    # service's version, with its two model calls, no tool call and no escalation.
    cost = sum(call("", usage)[6].expected for usage in (TOOL_CALL_USAGE, ANSWER_USAGE))
    assert session_row(store, f"conv-{unique}") == [{"agent_name": "triage", "agent_version": "1.2.0", "model_calls": 2, "tool_calls": 0,
                                                     "handoffs": 0, "spans": 9, "cost_usd": pytest.approx(cost, rel=1e-9)}]


def test_openllmetry_a_handoff_is_no_escalation(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    with FakeOpenAI() as fake, instrumented(service, f"olla-{unique}", OpenLLMetryInstrumentor()):
        run_triage(fake)

    spans = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time, name", {"s": f"olla-{unique}"})
    assert [(span["name"], span["operation"], span["agent_name"]) for span in spans] == [
        # the workflow's root names no agent and has none above it: the entry agent's, as its session
        ("Agent Workflow", "other", "triage"), ("triage.agent", "invoke_agent", "triage"),
        # a model call names no agent: its nearest agent ancestor's, triage's, though the trace holds two agents
        ("openai.response", "chat", "triage"),
        # operation handoff with gen_ai.handoff.from_agent: a delegation between agents, not a handoff to a person
        ("triage → unknown.handoff", "other", "triage"),
        ("weather-assistant.agent", "invoke_agent", "weather-assistant"), ("openai.response", "chat", "weather-assistant")]
    # No session id: the trace is the session. This instrumentation names no request model on the Responses API.
    assert {span["session_id"] for span in spans} == {spans[0]["trace_id"]}
    assert calls(spans) == [call("", TOOL_CALL_USAGE), call("", ANSWER_USAGE)]

    run_jobs(service)
    cost = sum(call("", usage)[6].expected for usage in (TOOL_CALL_USAGE, ANSWER_USAGE))
    assert session_row(store, spans[0]["trace_id"]) == [{"agent_name": "triage", "agent_version": "1.2.0", "model_calls": 2, "tool_calls": 0,
                                                         "handoffs": 0, "spans": 6, "cost_usd": pytest.approx(cost, rel=1e-9)}]


def test_logfire_agent_runs_name_their_agents(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    import logfire
    from agents import set_trace_processors

    exporter = SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{service.http_port}/v1/traces"))
    fire = logfire.configure(local=True, send_to_logfire=False, service_name=f"lfa-{unique}", service_version="1.2.0", console=False,
                             metrics=False, inspect_arguments=False, additional_span_processors=[exporter])
    fire.instrument_openai_agents()
    try:
        with FakeOpenAI() as fake:
            run_triage(fake)
    finally:
        set_trace_processors([])  # Logfire's processor stays with the SDK otherwise
        fire.shutdown()
    service.flush()

    spans = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time, name", {"s": f"lfa-{unique}"})
    # Logfire names each agent only in its run's template argument ("Agent run: {name!r}", name). Its turn spans name
    # a parent it never exports, so no agent can be found above a model call: each keeps its trace's agent.
    assert {span["parent_span_id"] for span in spans if span["name"].startswith("Turn ")}.isdisjoint(span["span_id"] for span in spans)
    assert [(span["name"], span["operation"], span["agent_name"]) for span in spans if span["operation"] != "other"] == [
        ("Agent run: {name!r}", "invoke_agent", "triage"), ("Responses API with {gen_ai.request.model!r}", "chat", "weather-assistant"),
        ("Agent run: {name!r}", "invoke_agent", "weather-assistant"), ("Responses API with {gen_ai.request.model!r}", "chat", "weather-assistant")]
    assert [span["name"] for span in spans if span["operation"] == "other"] == [
        "OpenAI Agents trace: {name}", "Task: Agent workflow", "Turn {turn} for agent triage", "Handoff: {from_agent} → {to_agent}",
        "Turn {turn} for agent weather-assistant"]
    assert calls(spans) == [call("gpt-4o-mini", TOOL_CALL_USAGE), call("gpt-4o-mini", Usage(*dataclasses.astuple(ANSWER_USAGE)[:3], 0))]

    run_jobs(service)
    cost = sum(call("", usage)[6].expected for usage in (TOOL_CALL_USAGE, ANSWER_USAGE))
    assert session_row(store, spans[0]["trace_id"]) == [{"agent_name": "triage", "agent_version": "1.2.0", "model_calls": 2, "tool_calls": 0,
                                                         "handoffs": 0, "spans": 9, "cost_usd": pytest.approx(cost, rel=1e-9)}]
