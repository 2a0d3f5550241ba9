"""Real instrumentation libraries, real openai client, real OTLP exporters into the running service.

Only the LLM provider is faked, at the wire (tests/fake_openai.py). Each library patches openai and sets up
tracing process-wide, so each session runs in its own process (tests/agent_session.py), bounded in time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import rows
from tests.fake_openai import (
    ANSWER_USAGE,
    ANTHROPIC_COST,
    ANTHROPIC_INPUT,
    ANTHROPIC_MODEL,
    ANTHROPIC_SNAPSHOT,
    ANTHROPIC_USAGE,
    EMBEDDING_PRICE,
    EMBEDDING_TOKENS_PER_INPUT,
    SNAPSHOTS,
    TOOL_CALL_USAGE,
    FakeOpenAI,
    Usage,
    gpt_4o_mini_cost,
)

SESSION_SCRIPT = Path(__file__).with_name("agent_session.py")
SESSION_TIMEOUT_S = 60
MODEL, SNAPSHOT, EMBEDDING_MODEL = "gpt-4o-mini", SNAPSHOTS["gpt-4o-mini"], "text-embedding-3-small"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def run_agent_session(library: str, otlp: str, processor: str, fake: FakeOpenAI, service: str, session: str, user: str,
                      then: tuple[tuple[str, str, int], ...] = ()) -> None:
    """Runs tests/agent_session.py for one library; its spans are exported by the time it exits. then: the calls a
    library's session makes after the common ones."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}  # only what the script sets up
    before = len(fake.ledger)
    done = subprocess.run(
        [sys.executable, str(SESSION_SCRIPT), library, "--otlp", otlp, "--processor", processor, "--openai-base-url", fake.base_url,
         "--service", service, "--session", session, "--user", user],
        capture_output=True, text=True, timeout=SESSION_TIMEOUT_S, env=env, check=False)
    assert done.returncode == 0, f"{library} session failed:\n{done.stdout}\n{done.stderr}"
    assert "Failed to export" not in done.stderr, done.stderr
    served = [(call["api"], call["request_model"], call["status"]) for call in fake.ledger[before:]]
    assert served == [("chat", MODEL, 200), ("chat", MODEL, 200), ("embeddings", EMBEDDING_MODEL, 200), ("chat", MODEL, 500), *then]


def chat_row(usage: Usage, with_cache_and_reasoning: bool) -> tuple:
    """The expected columns of a successful chat span; some libraries drop the cached and reasoning counts."""
    cached, reasoning = (usage.cached_tokens, usage.reasoning_tokens) if with_cache_and_reasoning else (0, 0)
    return ("chat", MODEL, SNAPSHOT, "", usage.prompt_tokens, usage.completion_tokens, cached, reasoning,
            pytest.approx(gpt_4o_mini_cost(usage.prompt_tokens, cached, usage.completion_tokens, reasoning), rel=1e-9, abs=0), "computed")


EMBEDDING_ROW = ("embeddings", EMBEDDING_MODEL, EMBEDDING_MODEL, "", 2 * EMBEDDING_TOKENS_PER_INPUT, 0, 0, 0,
                 pytest.approx(2 * EMBEDDING_TOKENS_PER_INPUT * EMBEDDING_PRICE / 1e6, rel=1e-9, abs=0), "computed")
TOOL_ROW = ("execute_tool", "", "", "get_weather", 0, 0, 0, 0, 0, "none")
AGENT_ROW = ("invoke_agent", "", "", "", 0, 0, 0, 0, 0, "none")  # an agent span that names no model and costs nothing itself
FAILED_ROW = ("chat", MODEL, "", "", 0, 0, 0, 0, 0, "none")
COLUMNS = ("operation", "request_model", "response_model", "tool_name", "input_tokens", "output_tokens",
           "cache_read_tokens", "reasoning_tokens", "cost_usd", "cost_source")


def stored_session(store, service_name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    spans = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time, span_id", {"s": service_name})
    return [{**span, "attributes": dict(span["attributes"])} for span in spans]


def assert_one_root(spans: list[dict]) -> None:
    """One trace, every other span a child of the first."""
    root = spans[0]
    assert {span["trace_id"] for span in spans} == {root["trace_id"]} and root["parent_span_id"] == ""
    assert all(span["parent_span_id"] == root["span_id"] for span in spans[1:])


def assert_one_agent_trace(spans: list[dict], session: str, user: str) -> None:
    """One trace under one agent root; every span carries the session, the user and the agent, and only the failed call errs."""
    assert spans[0]["operation"] == "invoke_agent"
    assert_one_root(spans)
    assert {(span["session_id"], span["user_id"], span["agent_name"]) for span in spans} == {(session, user, "weather-assistant")}
    assert [span["status_code"] == "ERROR" for span in spans] == [False] * 5 + [True]
    assert {span["provider"] for span in spans if span["operation"] in ("chat", "embeddings")} == {"openai"}
    assert not [span for span in spans if span["cost_source"] == "unpriced"]


def test_openai_v2_session_over_grpc(service, store, unique, fake_openai) -> None:  # type: ignore[no-untyped-def]
    service_name, session, user = f"oa2-{unique}", f"sess-{unique}", f"user-{unique}"
    # One request per span, the agent root last: its children are stored before anything names their session.
    run_agent_session("openai_v2", f"http://127.0.0.1:{service.grpc_port}", "simple", fake_openai, service_name, session, user)
    service.flush()

    spans = stored_session(store, service_name)
    assert [span["name"] for span in spans] == [
        "invoke_agent weather-assistant", f"chat {MODEL}", "execute_tool get_weather", f"chat {MODEL}",
        f"embeddings {EMBEDDING_MODEL}", f"chat {MODEL}"]
    assert_one_agent_trace(spans, session, user)
    # util-genai records the agent's configured model as its request model; the agent span costs nothing itself.
    agent_row = ("invoke_agent", MODEL, "", "", 0, 0, 0, 0, 0, "none")
    # opentelemetry-instrumentation-openai-v2 reports input and output tokens only: the cached and reasoning
    # counts the provider returned never reach its spans, so they are 0 here and priced as plain tokens.
    assert [tuple(span[column] for column in COLUMNS) for span in spans] == [
        agent_row, chat_row(TOOL_CALL_USAGE, False), TOOL_ROW, chat_row(ANSWER_USAGE, False), EMBEDDING_ROW, FAILED_ROW]
    # Session, user and agent reached the other spans from the root alone, which came in last.
    assert [sorted({"gen_ai.conversation.id", "user.id", "gen_ai.agent.name"} & span["attributes"].keys()) for span in spans] == [
        ["gen_ai.agent.name", "gen_ai.conversation.id", "user.id"]] + [[]] * 5
    assert spans[0]["end_time"] == max(span["end_time"] for span in spans)


def test_openinference_session_over_http(service, store, unique, fake_openai) -> None:  # type: ignore[no-untyped-def]
    service_name, session, user = f"oi-{unique}", f"sess-{unique}", f"user-{unique}"
    run_agent_session("openinference", f"http://127.0.0.1:{service.http_port}/v1/traces", "batch", fake_openai, service_name, session, user)
    service.flush()

    spans = stored_session(store, service_name)
    assert [span["name"] for span in spans] == [
        "weather-assistant", "ChatCompletion", "get_weather", "ChatCompletion", "CreateEmbeddings", "ChatCompletion"]
    assert_one_agent_trace(spans, session, user)
    # OpenInference names the request model only inside llm.invocation_parameters, and reports cached and
    # reasoning tokens, so these are priced at the cached-input and reasoning prices.
    assert [tuple(span[column] for column in COLUMNS) for span in spans] == [
        AGENT_ROW, chat_row(TOOL_CALL_USAGE, True), TOOL_ROW, chat_row(ANSWER_USAGE, True), EMBEDDING_ROW, FAILED_ROW]
    # session.id and user.id are on every span, agent.name on the root only.
    assert [span["attributes"].get("agent.name") for span in spans] == ["weather-assistant"] + [None] * 5
    assert {(span["attributes"]["session.id"], span["attributes"]["user.id"]) for span in spans} == {(session, user)}


def test_openllmetry_session_over_grpc(service, store, unique, fake_openai) -> None:  # type: ignore[no-untyped-def]
    service_name, session, user = f"oll-{unique}", f"sess-{unique}", f"user-{unique}"
    run_agent_session("openllmetry", f"http://127.0.0.1:{service.grpc_port}", "batch", fake_openai, service_name, session, user,
                      then=(("messages", ANTHROPIC_MODEL, 200),))
    service.flush()

    spans = stored_session(store, service_name)
    claude = spans.pop()  # the last call, after the common session
    assert [span["name"] for span in spans] == [
        "invoke_agent weather-assistant", "openai.chat", "execute_tool get_weather", "openai.chat", "openai.embeddings", "openai.chat"]
    assert_one_agent_trace(spans, session, user)
    # Cache reads come through; a reasoning count only where the response was not streamed (it is 0 there).
    answer = ("chat", MODEL, SNAPSHOT, "", ANSWER_USAGE.prompt_tokens, ANSWER_USAGE.completion_tokens, ANSWER_USAGE.cached_tokens, 0,
              pytest.approx(gpt_4o_mini_cost(ANSWER_USAGE.prompt_tokens, ANSWER_USAGE.cached_tokens, ANSWER_USAGE.completion_tokens, 0),
                            rel=1e-9, abs=0), "computed")
    assert [tuple(span[column] for column in COLUMNS) for span in spans] == [
        AGENT_ROW, chat_row(TOOL_CALL_USAGE, True), TOOL_ROW, answer, EMBEDDING_ROW, FAILED_ROW]
    # Its Anthropic input count already holds the cache reads and writes: they are not added again.
    usage = ANTHROPIC_USAGE
    assert (claude["name"], claude["provider"], claude["parent_span_id"], claude["session_id"]) == (
        "anthropic.chat", "anthropic", spans[0]["span_id"], session)
    assert (claude["request_model"], claude["response_model"], claude["input_tokens"], claude["cache_read_tokens"], claude["cache_write_tokens"],
            claude["output_tokens"], claude["cost_usd"], claude["cost_source"]) == (
        ANTHROPIC_MODEL, ANTHROPIC_SNAPSHOT, ANTHROPIC_INPUT, usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"],
        usage["output_tokens"], pytest.approx(ANTHROPIC_COST, rel=1e-9), "computed")


def test_logfire_session_over_grpc(service, store, unique, fake_openai) -> None:  # type: ignore[no-untyped-def]
    service_name, session, user = f"lf-{unique}", f"sess-{unique}", f"user-{unique}"
    run_agent_session("logfire", f"http://127.0.0.1:{service.grpc_port}", "batch", fake_openai, service_name, session, user)
    service.flush()

    spans = stored_session(store, service_name)
    # Logfire keeps its message templates as span names, and reports a streamed call twice: the request span, which
    # ends when the stream opens, and a log record (a span without duration) with the usage, once the stream is read.
    assert [(span["name"], span["attributes"]["logfire.span_type"]) for span in spans] == [
        ("invoke_agent {agent}", "span"), ("Chat Completion with {request_data[model]!r}", "span"), ("execute_tool {tool}", "span"),
        ("Chat Completion with {request_data[model]!r}", "span"),
        ("streaming response from {request_data[model]!r} took {duration:.2f}s", "log"),
        ("Embedding Creation with {request_data[model]!r}", "span"), ("Chat Completion with {request_data[model]!r}", "span")]
    assert_one_root(spans)
    assert {(span["session_id"], span["user_id"], span["agent_name"], span["agent_version"]) for span in spans} == {
        (session, user, "weather-assistant", "0.3.0")}
    assert [span["status_code"] for span in spans] == ["UNSET"] * 6 + ["ERROR"]
    assert {span["provider"] for span in spans if span["operation"] in ("chat", "embeddings")} == {"openai"}
    # Logfire reports cache reads but no reasoning count (it is only in gen_ai.usage.raw); a request span
    # names the request model as its response model until a response says otherwise.

    def chat(usage: Usage) -> tuple:
        return ("chat", MODEL, SNAPSHOT, "", usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, 0,
                pytest.approx(gpt_4o_mini_cost(usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, 0), rel=1e-9, abs=0),
                "computed")
    unanswered = ("chat", MODEL, MODEL, "", 0, 0, 0, 0, 0, "none")
    assert [tuple(span[column] for column in COLUMNS) for span in spans] == [
        AGENT_ROW, chat(TOOL_CALL_USAGE), TOOL_ROW, unanswered, chat(ANSWER_USAGE), EMBEDDING_ROW, unanswered]


def test_langfuse_openai_integration_session(service, store, unique, fake_openai) -> None:  # type: ignore[no-untyped-def]
    service_name, session, user = f"lfo-{unique}", f"sess-{unique}", f"user-{unique}"
    run_agent_session("langfuse", f"http://127.0.0.1:{service.http_port}", "batch", fake_openai, service_name, session, user)
    service.flush()

    spans = stored_session(store, service_name)
    assert [span["name"] for span in spans] == [
        "weather-assistant", "OpenAI-generation", "get_weather", "OpenAI-generation", "OpenAI-embedding", "OpenAI-generation"]
    assert_one_root(spans)
    assert {(span["session_id"], span["user_id"], span["agent_name"], span["agent_version"]) for span in spans} == {
        (session, user, "weather-assistant", "0.3.0")}
    assert [span["status_code"] for span in spans] == ["UNSET"] * 5 + ["ERROR"]
    # The integration passes OpenAI's usage object on as usage_details (prompt_tokens, completion_tokens and their
    # details, cached and reasoning counts included) and names the model the response named; it names no provider.
    # The failed call comes with cost_details of 0: a provided cost.
    def chat(usage: Usage) -> tuple:
        return ("chat", SNAPSHOT, "", "", usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, usage.reasoning_tokens,
                pytest.approx(gpt_4o_mini_cost(usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, usage.reasoning_tokens),
                              rel=1e-9, abs=0), "computed")
    embeddings = ("embeddings", EMBEDDING_MODEL, "", "", 2 * EMBEDDING_TOKENS_PER_INPUT, 0, 0, 0,
                  pytest.approx(2 * EMBEDDING_TOKENS_PER_INPUT * EMBEDDING_PRICE / 1e6, rel=1e-9, abs=0), "computed")
    failed = ("chat", MODEL, "", "", 0, 0, 0, 0, 0, "provided")
    assert [tuple(span[column] for column in COLUMNS) for span in spans] == [
        AGENT_ROW, chat(TOOL_CALL_USAGE), TOOL_ROW, chat(ANSWER_USAGE), embeddings, failed]
    assert {span["provider"] for span in spans} == {""}
