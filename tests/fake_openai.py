"""A fake OpenAI-compatible server on loopback: the LLM provider faked at the wire, nothing else.

Answers /v1/chat/completions (plain and SSE-streamed, with a tool call when tools are offered and the user
spoke last), /v1/responses (the Responses API, plain, by the same rule), /v1/embeddings and Anthropic's /v1/messages
(plain, an answer with cache reads and writes) with fixed token counts, so tests can assert exact numbers. It never
decides anything from who is calling; a prompt containing FAIL_WITH_500 gets HTTP 500.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAIL_MARKER = "FAIL_WITH_500"
# Requests name a model; responses name its dated snapshot, as the real API does.
SNAPSHOTS = {"gpt-4o-mini": "gpt-4o-mini-2024-07-18", "gpt-4o": "gpt-4o-2024-11-20", "o4-mini": "o4-mini-2025-04-16"}
EMBEDDING_TOKENS_PER_INPUT = 28
TOOL_CALL_ARGUMENTS = '{"city": "Paris", "unit": "celsius"}'
ANSWER_TEXT = "It is sunny and 21 degrees in Paris: a light jacket will do."


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int

    def as_json(self) -> dict[str, Any]:
        """The usage block of a chat completion; prompt tokens include the cached ones, completion tokens the reasoning ones."""
        return {
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        }


TOOL_CALL_USAGE = Usage(prompt_tokens=182, completion_tokens=12, cached_tokens=80, reasoning_tokens=0)
ANSWER_USAGE = Usage(prompt_tokens=245, completion_tokens=34, cached_tokens=112, reasoning_tokens=8)

# Anthropic's usage: input_tokens count only the input read neither from nor into the cache (here more than the cached).
ANTHROPIC_MODEL, ANTHROPIC_SNAPSHOT = "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"
ANTHROPIC_USAGE = {"input_tokens": 1500, "cache_read_input_tokens": 1200, "cache_creation_input_tokens": 100, "output_tokens": 40}

# What store/prices.csv charges for the fake's models, USD per million tokens: gpt-4o-mini 0.15 in, 0.075 cached in,
# 0.60 out (reasoning too); text-embedding-3-small 0.02 in.
GPT_4O_MINI = {"input": 0.15, "cached": 0.075, "output": 0.60, "reasoning": 0.60}
CLAUDE_SONNET_4_5 = {"input": 3.00, "cached": 0.30, "cache_write": 3.75, "output": 15.00}
# The fake Anthropic answer's input in full (GenAI conventions: cache reads and writes included), and its cost.
ANTHROPIC_INPUT = ANTHROPIC_USAGE["input_tokens"] + ANTHROPIC_USAGE["cache_read_input_tokens"] + ANTHROPIC_USAGE["cache_creation_input_tokens"]
ANTHROPIC_COST = (ANTHROPIC_USAGE["input_tokens"] * CLAUDE_SONNET_4_5["input"] + ANTHROPIC_USAGE["cache_read_input_tokens"] * CLAUDE_SONNET_4_5["cached"]
                  + ANTHROPIC_USAGE["cache_creation_input_tokens"] * CLAUDE_SONNET_4_5["cache_write"]
                  + ANTHROPIC_USAGE["output_tokens"] * CLAUDE_SONNET_4_5["output"]) / 1e6
EMBEDDING_PRICE = 0.02


def gpt_4o_mini_cost(input_tokens: int, cached: int, output_tokens: int, reasoning: int) -> float:
    return ((input_tokens - cached) * GPT_4O_MINI["input"] + cached * GPT_4O_MINI["cached"]
            + (output_tokens - reasoning) * GPT_4O_MINI["output"] + reasoning * GPT_4O_MINI["reasoning"]) / 1e6


class _Fake(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass  # quiet: the tests read the ledger, not a log

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path.rstrip("/") == "/v1/chat/completions":
            self._chat(body)
        elif self.path.rstrip("/") == "/v1/responses":
            self._responses(body)
        elif self.path.rstrip("/") == "/v1/messages":
            self._messages(body)
        elif self.path.rstrip("/") == "/v1/embeddings":
            self._embeddings(body)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def _chat(self, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        model = str(body.get("model", ""))
        if FAIL_MARKER in json.dumps(messages):
            self.server.record("chat", model, None, 500, None)
            self._json(500, {"error": {"message": "the fake provider failed on purpose", "type": "server_error"}})
            return
        wants_tool = bool(body.get("tools")) and bool(messages) and messages[-1].get("role") == "user"
        usage = TOOL_CALL_USAGE if wants_tool else ANSWER_USAGE
        seq = self.server.record("chat", model, SNAPSHOTS.get(model, model), 200, usage)
        completion_id, created, snapshot = f"chatcmpl-fake{seq:08d}", int(time.time()), SNAPSHOTS.get(model, model)
        tool_call = {"id": f"call_fake{seq:08d}", "type": "function",
                     "function": {"name": body["tools"][0]["function"]["name"], "arguments": TOOL_CALL_ARGUMENTS}} if wants_tool else None
        finish = "tool_calls" if wants_tool else "stop"
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream(completion_id, created, snapshot, tool_call, finish, usage if include_usage else None)
            return
        message: dict[str, Any] = {"role": "assistant", "content": None if wants_tool else ANSWER_TEXT, "refusal": None}
        if tool_call is not None:
            message["tool_calls"] = [tool_call]
        self._json(200, {"id": completion_id, "object": "chat.completion", "created": created, "model": snapshot,
                         "system_fingerprint": "fp_fake0001", "service_tier": "default",
                         "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                         "usage": usage.as_json()})

    def _stream(self, completion_id: str, created: int, model: str, tool_call: dict[str, Any] | None,
                finish: str, usage: Usage | None) -> None:
        def chunk(delta: dict[str, Any] | None, finish_reason: str | None = None, with_usage: Usage | None = None) -> dict[str, Any]:
            choices = [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
            return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                    "system_fingerprint": "fp_fake0001", "service_tier": "default", "choices": choices,
                    "usage": with_usage.as_json() if with_usage else None}

        chunks = [chunk({"role": "assistant", "content": ""})]
        if tool_call is not None:
            chunks.append(chunk({"tool_calls": [{"index": 0, **tool_call}]}))
        else:
            chunks += [chunk({"content": piece}) for piece in re.findall(r"\S+\s*", ANSWER_TEXT)]
        chunks.append(chunk({}, finish))
        if usage is not None:
            chunks.append(chunk(None, with_usage=usage))  # stream_options.include_usage: a last chunk, no choices
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")  # no length: the stream ends when the connection does
        self.end_headers()
        for event in chunks:
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def _responses(self, body: dict[str, Any]) -> None:
        items = body.get("input")
        items = [{"role": "user", "content": items}] if isinstance(items, str) else list(items or [])
        model = str(body.get("model", ""))
        tools = [tool for tool in body.get("tools") or [] if tool.get("type") == "function"]
        wants_tool = bool(tools) and bool(items) and items[-1].get("role") == "user"
        usage = TOOL_CALL_USAGE if wants_tool else ANSWER_USAGE
        seq = self.server.record("responses", model, SNAPSHOTS.get(model, model), 200, usage)
        if wants_tool:
            output = [{"type": "function_call", "id": f"fc_fake{seq:08d}", "call_id": f"call_fake{seq:08d}", "name": tools[0]["name"],
                       "arguments": TOOL_CALL_ARGUMENTS, "status": "completed"}]
        else:
            output = [{"type": "message", "id": f"msg_fake{seq:08d}", "role": "assistant", "status": "completed",
                       "content": [{"type": "output_text", "text": ANSWER_TEXT, "annotations": []}]}]
        self._json(200, {"id": f"resp_fake{seq:08d}", "object": "response", "created_at": int(time.time()), "status": "completed",
                         "model": SNAPSHOTS.get(model, model), "output": output, "error": None, "incomplete_details": None,
                         "instructions": body.get("instructions"), "metadata": {}, "parallel_tool_calls": True,
                         "temperature": 1.0, "top_p": 1.0, "tool_choice": "auto", "tools": body.get("tools") or [],
                         "usage": {"input_tokens": usage.prompt_tokens, "input_tokens_details": {"cached_tokens": usage.cached_tokens},
                                   "output_tokens": usage.completion_tokens,
                                   "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
                                   "total_tokens": usage.prompt_tokens + usage.completion_tokens}})

    def _messages(self, body: dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        usage = ANTHROPIC_USAGE
        seq = self.server.record("messages", model, ANTHROPIC_SNAPSHOT, 200,
                                 Usage(usage["input_tokens"], usage["output_tokens"], usage["cache_read_input_tokens"], 0))
        self._json(200, {"id": f"msg_fake{seq:08d}", "type": "message", "role": "assistant", "model": ANTHROPIC_SNAPSHOT,
                         "content": [{"type": "text", "text": ANSWER_TEXT}], "stop_reason": "end_turn", "stop_sequence": None,
                         "usage": usage})

    def _embeddings(self, body: dict[str, Any]) -> None:
        inputs = body.get("input")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
        model = str(body.get("model", ""))
        tokens = EMBEDDING_TOKENS_PER_INPUT * len(inputs)
        self.server.record("embeddings", model, model, 200, Usage(tokens, 0, 0, 0))
        data = [{"object": "embedding", "index": index, "embedding": [0.125 * (index + 1)] * 8} for index in range(len(inputs))]
        self._json(200, {"object": "list", "data": data, "model": model,
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Fake)
        self.ledger: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(self, api: str, model: str, response_model: str | None, status: int, usage: Usage | None) -> int:
        """Notes one response in the ledger; returns its sequence number (from 1)."""
        with self._lock:
            self.ledger.append({"api": api, "request_model": model, "response_model": response_model,
                                "status": status, "usage": usage})
            return len(self.ledger)


class FakeOpenAI:
    """The fake server on a free loopback port, served from a daemon thread while the context is open."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def root_url(self) -> str:
        """The server without /v1, as Anthropic's client takes it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def ledger(self) -> list[dict[str, Any]]:
        """Every response given so far: api, request_model, response_model, status, usage."""
        return list(self._server.ledger)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
