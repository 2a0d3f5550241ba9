"""Spans from a Node service: the official OpenTelemetry JS OTLP exporters (gRPC, HTTP with protobuf, HTTP with
JSON), pinned in tests/js/package.json and installed with npm ci, send an agent session to the running service.
What they do differently from the Python exporters: the JSON body comes chunked (no Content-Length), with hex ids,
times as strings and ints as JSON numbers, and spans carry flags."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import rows
from tests.fake_openai import (
    ANSWER_USAGE,
    EMBEDDING_PRICE,
    EMBEDDING_TOKENS_PER_INPUT,
    SNAPSHOTS,
    TOOL_CALL_USAGE,
    FakeOpenAI,
    Usage,
    gpt_4o_mini_cost,
)

JS = Path(__file__).resolve().parent / "js"


@pytest.fixture(scope="module")
def node() -> str:
    """node, with the exporters of tests/js/package-lock.json installed (npm ci, again when the lock changed)."""
    found, npm = shutil.which("node"), shutil.which("npm")
    if found is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are not installed: .ci/run installs Debian's nodejs and npm for this test")
        pytest.skip("no node on this machine (apt-get install nodejs npm)")
    lock, stamp = JS / "package-lock.json", JS / "node_modules" / ".spanledger-lock"
    if not stamp.exists() or stamp.read_bytes() != lock.read_bytes():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS, check=True, timeout=300)
        stamp.write_bytes(lock.read_bytes())
    return found


@pytest.mark.parametrize("compression", ["none", "gzip"])
@pytest.mark.parametrize("transport", ["grpc", "proto", "json"])
def test_js_exporter_session_lands_with_context_tokens_cost_and_error(node, service, store, unique, transport, compression) -> None:  # type: ignore[no-untyped-def]
    url = (f"http://127.0.0.1:{service.grpc_port}" if transport == "grpc"
           else f"http://127.0.0.1:{service.http_port}/v1/traces")
    sent_from = time.time_ns()
    run = subprocess.run([node, "export_session.mjs", transport, url, f"js-{unique}", f"sess-{unique}", compression], cwd=JS,
                         capture_output=True, text=True, timeout=60)
    sent_to = time.time_ns()
    assert run.returncode == 0, run.stderr
    assert "error" not in run.stderr.lower(), run.stderr  # the SDK only logs a failed export
    service.flush()
    spans = {row["name"]: row for row in rows(store, """
        SELECT *, toUnixTimestamp64Nano(start_time) AS start_ns, toUnixTimestamp64Nano(end_time) AS end_ns
        FROM spans FINAL WHERE service_name = {s:String}""", {"s": f"js-{unique}"})}
    assert sorted(spans) == ["chat gpt-4o", "execute_tool get_order", "invoke_agent refunds"]
    root, chat, tool = spans["invoke_agent refunds"], spans["chat gpt-4o"], spans["execute_tool get_order"]

    # One trace, hex ids as the OTel ClickHouse exporter stores them (the JSON body carries them as hex, not base64).
    assert len({span["trace_id"] for span in spans.values()}) == 1 and len(root["trace_id"]) == 32
    assert root["parent_span_id"] == "" and chat["parent_span_id"] == tool["parent_span_id"] == root["span_id"]
    for span in spans.values():  # Node's clock, in ms and a monotonic offset: the bounds allow it a millisecond
        assert sent_from - 1_000_000 <= span["start_ns"] <= span["end_ns"] <= sent_to + 1_000_000
        assert span["duration_ns"] == span["end_ns"] - span["start_ns"]
        assert (span["session_id"], span["agent_name"], span["agent_version"], span["environment"]) == (
            f"sess-{unique}", "refunds", "2.4.0", "prod")
        assert (span["scope_name"], span["scope_version"]) == ("js-agent", "1.0.0")

    assert (root["operation"], root["kind"]) == ("invoke_agent", "INTERNAL")
    assert (chat["operation"], chat["kind"], chat["provider"], chat["request_model"], chat["response_model"]) == (
        "chat", "CLIENT", "openai", "gpt-4o", "gpt-4o-2024-11-20")
    assert (chat["input_tokens"], chat["output_tokens"], chat["cost_source"]) == (1200, 300, "computed")
    assert abs(chat["cost_usd"] - (1200 * 2.50 + 300 * 10.00) / 1e6) < 1e-12  # gpt-4o: $2.50 in, $10 out per million
    attributes = dict(chat["attributes"])
    assert (attributes["gen_ai.request.temperature"], attributes["llm.is_streaming"]) == ("0.25", "false")
    assert json.loads(attributes["gen_ai.response.finish_reasons"]) == ["tool_calls"]

    assert (tool["operation"], tool["tool_name"], tool["status_code"], tool["status_message"]) == (
        "execute_tool", "get_order", "ERROR", "order service timed out")
    [event] = tool["events"]
    assert event["name"] == "exception" and tool["start_ns"] <= event["time"].timestamp() * 1e9 <= tool["end_ns"] + 1e6
    exception = dict(event["attributes"])
    assert (exception["exception.type"], exception["exception.message"]) == ("RangeError", "order service timed out")
    assert "export_session.mjs" in exception["exception.stacktrace"]
    assert root["status_code"] == chat["status_code"] == "UNSET"


def test_vercel_ai_sdk_agent_lands_with_tools_cache_reasoning_and_session(node, service, store, unique) -> None:  # type: ignore[no-untyped-def]
    with FakeOpenAI() as fake:
        run = subprocess.run([node, "vercel_agent.mjs", f"http://127.0.0.1:{service.http_port}/v1/traces", fake.base_url,
                              f"ai-{unique}", f"sess-{unique}", f"user-{unique}"], cwd=JS, capture_output=True, text=True, timeout=60)
        served = [(call["api"], call["request_model"], call["status"]) for call in fake.ledger]
    assert run.returncode == 0, run.stderr
    assert served == [("chat", "gpt-4o-mini", 200)] * 3 + [("embeddings", "text-embedding-3-small", 200), ("chat", "gpt-4o-mini", 500)]
    service.flush()
    stored = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String}", {"s": f"ai-{unique}"})
    trace_start = {span["trace_id"]: min(other["start_time"] for other in stored if other["trace_id"] == span["trace_id"]) for span in stored}
    spans = sorted(stored, key=lambda span: (trace_start[span["trace_id"]], span["parent_span_id"] != "", span["start_time"]))
    # Every span of the session's four traces: the agent is the telemetry's functionId, session and user its metadata.
    assert {(span["session_id"], span["user_id"], span["agent_name"], span["agent_version"]) for span in spans} == {
        (f"sess-{unique}", f"user-{unique}", "weather-assistant", "0.3.0")}
    assert len({span["trace_id"] for span in spans}) == 4

    def row(span: dict) -> tuple:  # type: ignore[type-arg]
        return (span["name"], span["operation"], span["tool_name"], span["status_code"], span["input_tokens"],
                span["output_tokens"], span["cache_read_tokens"], span["reasoning_tokens"], span["cost_source"])

    def chat(name: str, usage: Usage) -> tuple:  # type: ignore[type-arg]
        return (name, "chat", "", "UNSET", usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens,
                usage.reasoning_tokens, "computed")

    # The outer spans (ai.generateText, ai.streamText, ai.embedMany) repeat their calls' usage in ai.usage.* only: not
    # counted again. The embedding call has no gen_ai.* attributes: its model and tokens are ai.model.id, ai.usage.tokens.
    assert [row(span) for span in spans] == [
        ("ai.generateText", "other", "", "UNSET", 0, 0, 0, 0, "none"),
        chat("ai.generateText.doGenerate", TOOL_CALL_USAGE),
        ("ai.toolCall", "execute_tool", "get_weather", "UNSET", 0, 0, 0, 0, "none"),
        chat("ai.generateText.doGenerate", ANSWER_USAGE),
        ("ai.streamText", "other", "", "UNSET", 0, 0, 0, 0, "none"),
        chat("ai.streamText.doStream", ANSWER_USAGE),
        ("ai.embedMany", "other", "", "UNSET", 0, 0, 0, 0, "none"),
        ("ai.embedMany.doEmbed", "embeddings", "", "UNSET", 2 * EMBEDDING_TOKENS_PER_INPUT, 0, 0, 0, "computed"),
        ("ai.generateText", "other", "", "ERROR", 0, 0, 0, 0, "none"),
        ("ai.generateText.doGenerate", "chat", "", "ERROR", 0, 0, 0, 0, "none"),
    ]
    # Cached reads at their own price (store/prices.csv; tests/fake_openai.py).
    priced = [span for span in spans if span["cost_source"] == "computed"]
    assert [span["response_model"] or span["request_model"] for span in priced] == [SNAPSHOTS["gpt-4o-mini"]] * 3 + ["text-embedding-3-small"]
    # The SDK names the provider with its API (gen_ai.system openai.chat): stored as the provider alone.
    assert {span["provider"] for span in spans if span["operation"] == "chat"} == {"openai"}
    expected = [gpt_4o_mini_cost(usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, usage.reasoning_tokens)
                for usage in (TOOL_CALL_USAGE, ANSWER_USAGE, ANSWER_USAGE)] + [2 * EMBEDDING_TOKENS_PER_INPUT * EMBEDDING_PRICE / 1e6]
    assert [span["cost_usd"] for span in priced] == [pytest.approx(cost, rel=1e-9) for cost in expected]
