"""OpenLIT, live: an agent turn instrumented by openlit.init (tests/openlit/agent.py) exports OTLP/HTTP to the running
service; the provider faked at the wire (tests/fake_openai.py). OpenLIT needs openai < 3 and the OpenAI Agents SDK
openai >= 3, so it runs in a virtualenv of its own, tests/openlit/.venv, made from tests/openlit/requirements.txt
(again when that file changed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import rows
from tests.fake_openai import (
    ANSWER_USAGE,
    ANTHROPIC_COST,
    ANTHROPIC_INPUT,
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

HERE = Path(__file__).resolve().parent / "openlit"


@pytest.fixture(scope="module")
def openlit_python() -> Path:
    venv, requirements = HERE / ".venv", HERE / "requirements.txt"
    stamp = venv / ".spanledger-requirements"
    if not stamp.exists() or stamp.read_bytes() != requirements.read_bytes():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=120)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--upgrade", "pip"], check=True, timeout=300)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
                       check=True, timeout=600)
        stamp.write_bytes(requirements.read_bytes())
    return venv / "bin" / "python"


def test_openlit_turn_is_priced_here_not_at_the_zero_it_states(openlit_python, service, store, unique) -> None:  # type: ignore[no-untyped-def]
    service_name, session = f"olit-{unique}", f"sess-{unique}"
    with FakeOpenAI() as fake:
        run = subprocess.run([str(openlit_python), str(HERE / "agent.py"), f"http://127.0.0.1:{service.http_port}", fake.base_url,
                              service_name, session], capture_output=True, text=True, timeout=120)
        served = [(call["api"], call["status"]) for call in fake.ledger]
    assert run.returncode == 0, run.stderr
    assert served == [("chat", 200), ("chat", 200), ("embeddings", 200), ("chat", 500), ("messages", 200)]
    service.flush()

    spans = rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time", {"s": service_name})
    # OpenLIT also traces the HTTP client under each call: plain spans, no cost.
    http = [span for span in spans if span["name"] == "POST"]
    assert len(http) >= 4 and {(span["operation"], span["cost_source"]) for span in http} == {("other", "none")}
    spans = [span for span in spans if span["name"] != "POST"]
    assert [(span["name"], span["operation"], span["status_code"]) for span in spans] == [
        ("invoke_agent weather-assistant", "invoke_agent", "UNSET"), ("chat gpt-4o-mini", "chat", "OK"),
        ("execute_tool get_weather", "execute_tool", "UNSET"), ("chat gpt-4o-mini", "chat", "OK"),
        ("embeddings text-embedding-3-small", "embeddings", "OK"), ("chat gpt-4o-mini", "chat", "ERROR"),
        ("chat claude-sonnet-4-5", "chat", "OK")]
    assert {(span["session_id"], span["agent_name"], span["environment"]) for span in spans} == {(session, "weather-assistant", "staging")}
    assert [span["provider"] for span in spans if span["operation"] in ("chat", "embeddings")] == ["openai"] * 4 + ["anthropic"]
    # Every call states gen_ai.usage.cost = 0 (OpenLIT found no price list offline): a zero for a call with tokens is
    # no price, so each is priced from the price table; OpenLIT passes on no reasoning count.
    assert [dict(span["attributes"]).get("gen_ai.usage.cost") for span in spans if span["status_code"] == "OK"] == ["0"] * 4
    answered = [(span["response_model"], span["input_tokens"], span["output_tokens"], span["cache_read_tokens"], span["cost_usd"],
                 span["cost_source"]) for span in spans if span["operation"] in ("chat", "embeddings")]
    # Anthropic's input count, passed on as sent, leaves out the cache reads and writes even when it is the larger:
    # the input is their sum, each part at its own price.
    usage = ANTHROPIC_USAGE
    assert [(span["input_tokens"], span["cache_write_tokens"]) for span in spans if span["provider"] == "anthropic"] == [
        (ANTHROPIC_INPUT, usage["cache_creation_input_tokens"])]
    embedding_tokens = 2 * EMBEDDING_TOKENS_PER_INPUT
    assert answered == [
        chat(TOOL_CALL_USAGE), chat(ANSWER_USAGE),
        ("text-embedding-3-small", embedding_tokens, 0, 0, pytest.approx(embedding_tokens * EMBEDDING_PRICE / 1e6, rel=1e-9), "computed"),
        ("", 0, 0, 0, 0.0, "none"),
        (ANTHROPIC_SNAPSHOT, ANTHROPIC_INPUT, usage["output_tokens"], usage["cache_read_input_tokens"], pytest.approx(ANTHROPIC_COST, rel=1e-9), "computed")]


def chat(usage: Usage) -> tuple:  # type: ignore[type-arg]
    cost = gpt_4o_mini_cost(usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, 0)
    return (SNAPSHOTS["gpt-4o-mini"], usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, pytest.approx(cost, rel=1e-9), "computed")
