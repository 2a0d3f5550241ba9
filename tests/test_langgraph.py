"""A LangGraph ReAct agent on LangChain's ChatOpenAI, traced by OpenInference's and by OpenLLMetry's LangChain
instrumentation, each on a tracer provider of the test's own exporting OTLP/HTTP to the running service; the provider
faked at the wire (tests/fake_openai.py)."""

from __future__ import annotations

import pytest
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.prebuilt import create_react_agent
from openinference.instrumentation import using_session, using_user
from openinference.instrumentation.langchain import LangChainInstrumentor
from opentelemetry.instrumentation.langchain import LangchainInstrumentor

from tests.conftest import instrumented, rows, run_jobs
from tests.fake_openai import ANSWER_USAGE, SNAPSHOTS, TOOL_CALL_USAGE, FakeOpenAI, Usage, gpt_4o_mini_cost


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return '{"temperature": 21}'


def chat(usage: Usage) -> tuple:  # type: ignore[type-arg]
    cost = gpt_4o_mini_cost(usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, usage.reasoning_tokens)
    return ("gpt-4o-mini", SNAPSHOTS["gpt-4o-mini"], usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens,
            usage.reasoning_tokens, pytest.approx(cost, rel=1e-9), "computed")


def test_langgraph_agent_is_named_after_its_graph(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    with FakeOpenAI() as fake, instrumented(service, f"lg-{unique}", LangChainInstrumentor()):
        model = ChatOpenAI(model="gpt-4o-mini", base_url=fake.base_url, api_key="sk-fake", max_retries=0)  # type: ignore[arg-type]
        for graph, session in ((create_react_agent(model, [get_weather], name="weather-assistant"), f"named-{unique}"),
                               (create_react_agent(model, [get_weather]), f"unnamed-{unique}")):
            with using_session(session), using_user("u-1"):
                graph.invoke({"messages": [("user", "What's the weather in Paris?")]})
        assert [(call["api"], call["status"]) for call in fake.ledger] == [("chat", 200)] * 4

    spans = rows(store, "SELECT * FROM spans FINAL WHERE session_id = {s:String} ORDER BY start_time", {"s": f"named-{unique}"})
    # The graph's run is the root (a CHAIN span named after the graph); its nodes' spans follow.
    assert (spans[0]["name"], spans[0]["parent_span_id"]) == ("weather-assistant", "")
    assert {(span["agent_name"], span["agent_version"], span["user_id"]) for span in spans} == {("weather-assistant", "1.2.0", "u-1")}
    assert sorted(span["operation"] for span in spans if span["operation"] != "other") == [
        "chat", "chat", "execute_tool", "invoke_agent", "invoke_agent"]
    assert [span["tool_name"] for span in spans if span["operation"] == "execute_tool"] == ["get_weather"]
    assert [(span["request_model"], span["response_model"], span["input_tokens"], span["output_tokens"], span["cache_read_tokens"],
             span["reasoning_tokens"], span["cost_usd"], span["cost_source"]) for span in spans if span["operation"] == "chat"] == [
        chat(TOOL_CALL_USAGE), chat(ANSWER_USAGE)]
    # A graph given no name is 'LangGraph', which names no agent: its spans fall back to the service.
    unnamed = rows(store, "SELECT name, agent_name FROM spans FINAL WHERE session_id = {s:String} ORDER BY start_time", {"s": f"unnamed-{unique}"})
    assert unnamed[0]["name"] == "LangGraph" and {span["agent_name"] for span in unnamed} == {f"lg-{unique}"}

    run_jobs(service)
    cost = sum(chat(usage)[6].expected for usage in (TOOL_CALL_USAGE, ANSWER_USAGE))
    sessions = rows(store, "SELECT session_id, agent_name, model_calls, tool_calls, cost_usd FROM sessions FINAL "
                           "WHERE session_id IN ({a:String}, {b:String}) ORDER BY session_id", {"a": f"named-{unique}", "b": f"unnamed-{unique}"})
    assert sessions == [
        {"session_id": f"named-{unique}", "agent_name": "weather-assistant", "model_calls": 2, "tool_calls": 1, "cost_usd": pytest.approx(cost, rel=1e-9)},
        {"session_id": f"unnamed-{unique}", "agent_name": f"lg-{unique}", "model_calls": 2, "tool_calls": 1, "cost_usd": pytest.approx(cost, rel=1e-9)}]


def test_langgraph_through_openllmetry(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    with FakeOpenAI() as fake, instrumented(service, f"lgt-{unique}", LangchainInstrumentor()):
        model = ChatOpenAI(model="gpt-4o-mini", base_url=fake.base_url, api_key="sk-fake", max_retries=0)  # type: ignore[arg-type]
        create_react_agent(model, [get_weather], name="weather-assistant").invoke({"messages": [("user", "What's the weather in Paris?")]})

    spans = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time", {"s": f"lgt-{unique}"})
    # It names the agent itself (gen_ai.agent.name on the graph's spans); no session id: the trace is the session.
    assert [(span["name"], span["operation"]) for span in spans[:2]] == [
        ("invoke_agent weather-assistant", "invoke_agent"), ("weather-assistant.workflow", "invoke_agent")]
    assert {(span["agent_name"], span["session_id"]) for span in spans} == {("weather-assistant", spans[0]["trace_id"])}
    assert [span["tool_name"] for span in spans if span["operation"] == "execute_tool"] == ["get_weather"]
    # Cache reads come through; its reasoning count does not (0 here), so reasoning is priced as output.
    answer = ANSWER_USAGE
    assert [(span["request_model"], span["response_model"], span["input_tokens"], span["output_tokens"], span["cache_read_tokens"],
             span["reasoning_tokens"], span["cost_usd"], span["cost_source"]) for span in spans if span["operation"] == "chat"] == [
        chat(TOOL_CALL_USAGE), chat(Usage(answer.prompt_tokens, answer.completion_tokens, answer.cached_tokens, 0))]

    run_jobs(service)
    cost = sum(chat(usage)[6].expected for usage in (TOOL_CALL_USAGE, ANSWER_USAGE))
    sessions = rows(store, "SELECT agent_name, model_calls, tool_calls, cost_usd FROM sessions FINAL WHERE session_id = {s:String}",
                    {"s": spans[0]["trace_id"]})
    assert sessions == [{"agent_name": "weather-assistant", "model_calls": 2, "tool_calls": 1, "cost_usd": pytest.approx(cost, rel=1e-9)}]
