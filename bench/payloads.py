"""Realistic agent-session OTLP payloads for the ingest bench, built once and re-stamped per send.

A fleet is one agent service running many sessions at once, over a cycle of CYCLE_S seconds. Its spans are
cut, in the order they end, into requests of spans_per_request spans, as the OTel SDK's batch span processor
sends them from a busy service: each request holds a few spans of each of hundreds of sessions in progress,
and a session's spans reach the collector over several requests, its root last. Each request is sent again
and again with other trace and conversation ids (one set per session and replay of the cycle) and its times
moved to now, written into a copy of its bytes with numpy: the generator spends its CPU on gRPC, not on protobuf. Replays are
interleaved so that one session's requests are spread over the cycle in wall time too.
"""

from __future__ import annotations

import os
import random
import struct
import time
from collections.abc import Mapping

import numpy as np
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

# (provider, request model, response model as the API reports it) — all priced in store/prices.csv
MODELS = [("openai", "gpt-4o", "gpt-4o-2024-08-06"), ("openai", "gpt-4.1-mini", "gpt-4.1-mini"),
          ("openai", "o4-mini", "o4-mini"), ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
          ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5"), ("gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash"),
          ("gcp.gemini", "gemini-2.5-pro", "gemini-2.5-pro")]
AGENTS = [("support-agent", "triage"), ("research-agent", "planner"), ("coding-agent", "coder"),
          ("billing-agent", "refunds"), ("sales-agent", "qualifier")]
TOOLS = ["search_kb", "get_order", "create_ticket", "run_sql", "fetch_url", "send_email", "read_file", "calculator"]
ERRORS = [("TimeoutError", "tool call timed out after 30s"), ("HTTPError", "502 Bad Gateway"),
          ("ValueError", "invalid arguments: missing 'order_id'")]
CONV_PREFIX = b"conv_"
CONV_HEX = 24  # hex characters after the prefix
CONV_BYTES = len(CONV_PREFIX) + CONV_HEX
TRACE_ID_BYTES = 16
CYCLE_S = 40  # seconds of a fleet's timeline, and of wall time between two sends of the same request
SESSIONS = 600  # sessions in one cycle: about 300 in progress at any moment


class Template:
    """One serialized request with the offsets of its ids (each a session's slot) and times. Stamping writes the
    ids and times into a copy of the bytes with numpy (one gather and scatter each), not a Python loop over them."""

    def __init__(self, data: bytes, ids: list[tuple[int, int, int, bool]], times: list[tuple[int, int]], spans: int,
                 last_end_ns: int) -> None:
        self.data, self.ids, self.times = data, ids, times  # ids: (offset, length, session, is_conv); times: (offset, ns)
        self.spans, self.last_end_ns = spans, last_end_ns
        self._base = np.frombuffer(data, dtype=np.uint8)
        self._second, self._current = -1, self._base
        self._time_at = _spread([offset for offset, _ in times], 8)
        self._time_ns = np.array([value for _, value in times], dtype="<i8")
        self._trace_at = _spread([offset for offset, _, _, is_conv in ids if not is_conv], TRACE_ID_BYTES)
        self._trace_of = np.array([session for _, _, session, is_conv in ids if not is_conv], dtype=np.intp)
        self._conv_at = _spread([offset for offset, _, _, is_conv in ids if is_conv], CONV_BYTES)
        self._conv_of = np.array([session for _, _, session, is_conv in ids if is_conv], dtype=np.intp)

    def stamp(self, trace_ids: np.ndarray, convs: np.ndarray) -> bytes:
        """The request with the given sessions' ids (rows of trace_ids and convs) and its times moved to now (to the
        second): every time moved so that the request's last span ended now."""
        now = time.time_ns()
        if now // 10**9 != self._second:
            self._second, self._current = now // 10**9, self._base.copy()
            self._current[self._time_at] = (self._time_ns + np.int64(now - self.last_end_ns)).astype("<u8").view(np.uint8)
        out = self._current.copy()
        out[self._trace_at] = trace_ids[self._trace_of].ravel()
        out[self._conv_at] = convs[self._conv_of].ravel()
        return out.tobytes()


def _spread(offsets: list[int], width: int) -> np.ndarray:
    """The byte positions of fields of width bytes at offsets, in order."""
    return (np.array(offsets, dtype=np.intp)[:, None] + np.arange(width, dtype=np.intp)).ravel()


class Fleet:
    """The requests of one agent service over a cycle, sent in order; each is sent `replays` times in a row,
    every time for another replay's sessions, so that a cycle lasts about CYCLE_S seconds at calls_per_second."""

    def __init__(self, seed: int, spans_per_request: int, calls_per_second: float, handoffs: bool = False) -> None:
        self.requests = build_requests(seed, spans_per_request, handoffs)
        self.replays = max(1, round(calls_per_second * CYCLE_S / len(self.requests)))
        self.calls = 0
        self._ids: dict[int, tuple[int, np.ndarray, np.ndarray]] = {}  # replay -> (cycle, trace ids, conversation ids)

    def _sessions(self, replay: int, cycle: int) -> tuple[np.ndarray, np.ndarray]:
        """One row per session: its trace id, and its conversation id (CONV_PREFIX and hex digits)."""
        held = self._ids.get(replay)
        if held is None or held[0] != cycle:
            raw = os.urandom(TRACE_ID_BYTES * SESSIONS)
            hexed = raw.hex().encode()
            convs = b"".join(CONV_PREFIX + hexed[32 * i:32 * i + CONV_HEX] for i in range(SESSIONS))
            held = (cycle, np.frombuffer(raw, dtype=np.uint8).reshape(SESSIONS, TRACE_ID_BYTES),
                    np.frombuffer(convs, dtype=np.uint8).reshape(SESSIONS, CONV_BYTES))
            self._ids[replay] = held
        return held[1], held[2]

    def next_request(self) -> bytes:
        """The next request to send: fresh ids for every replay of every cycle, so no span is ever sent twice."""
        call, self.calls = self.calls, self.calls + 1
        replay, step = call % self.replays, call // self.replays
        request = self.requests[step % len(self.requests)]
        return request.stamp(*self._sessions(replay, step // len(self.requests)))


def _value(value: object) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_value(item) for item in value]))
    return AnyValue(string_value=str(value))


def _attrs(values: Mapping[str, object]) -> list[KeyValue]:
    return [KeyValue(key=key, value=_value(value)) for key, value in values.items()]


class _Session:
    """Builds the spans of one agent session (one trace) in end order, as an SDK exports them."""

    def __init__(self, rng: random.Random, agent: tuple[str, str], start_ns: int) -> None:
        self.rng, self.agent = rng, agent
        self.trace_id, self.conv = rng.randbytes(16), CONV_PREFIX + rng.randbytes(CONV_HEX // 2).hex().encode()
        self.root_id, self.clock = rng.randbytes(8), start_ns
        self.parent_id, self.current_agent = self.root_id, agent[0]
        self.provider, self.model, self.response_model = rng.choice(MODELS)
        self.spans: list[Span] = []
        self.specialist: Span | None = None  # the agent this session's agent handed off to, once it has

    def hand_off(self) -> None:
        """The spans from here on run under a second agent (an invoke_agent span under the root, exported after them)."""
        name = f"{self.agent[0]}-specialist"
        self.specialist = Span(trace_id=self.trace_id, span_id=self.rng.randbytes(8), parent_span_id=self.root_id,
                               name=f"invoke_agent {name}", kind=Span.SPAN_KIND_INTERNAL, start_time_unix_nano=self.clock,
                               attributes=_attrs({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name}))
        self.parent_id, self.current_agent = self.specialist.span_id, name

    def _span(self, name: str, kind: Span.SpanKind.ValueType, millis: float, attrs: dict[str, object], error: tuple[str, str] | None = None) -> None:
        start = self.clock
        self.clock += int(millis * 1e6)
        span = Span(trace_id=self.trace_id, span_id=self.rng.randbytes(8), parent_span_id=self.parent_id, name=name,
                    kind=kind, start_time_unix_nano=start, end_time_unix_nano=self.clock, attributes=_attrs(attrs))
        if error:
            span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message=error[1]))
            span.attributes.extend(_attrs({"error.type": error[0]}))
            span.events.add(time_unix_nano=self.clock, name="exception",
                            attributes=_attrs({"exception.type": error[0], "exception.message": error[1]}))
        self.spans.append(span)

    def chat(self) -> None:
        rng = self.rng
        tokens_in, tokens_out = rng.randint(400, 12000), rng.randint(20, 900)
        attrs: dict[str, object] = {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": self.provider, "gen_ai.request.model": self.model,
            "gen_ai.response.model": self.response_model, "gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 4096,
            "gen_ai.response.id": "resp_" + rng.randbytes(10).hex(), "gen_ai.response.finish_reasons": [rng.choice(["stop", "tool_calls"])],
            "gen_ai.usage.input_tokens": tokens_in, "gen_ai.usage.output_tokens": tokens_out,
            "gen_ai.conversation.id": self.conv.decode(), "server.address": f"api.{self.provider}.example", "server.port": 443}
        if rng.random() < 0.4:
            attrs["gen_ai.usage.cache_read.input_tokens"] = tokens_in // 2
        self._span(f"chat {self.model}", Span.SPAN_KIND_CLIENT, rng.uniform(300, 4000), attrs)

    def tool(self) -> None:
        rng = self.rng
        name = rng.choice(TOOLS)
        attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name, "gen_ai.tool.type": "function",
                 "gen_ai.tool.call.id": "call_" + rng.randbytes(8).hex(), "gen_ai.tool.description": f"{name} tool",
                 "gen_ai.agent.name": self.current_agent, "code.function.name": f"tools.{name}", "thread.id": rng.randint(1, 64)}
        self._span(f"execute_tool {name}", Span.SPAN_KIND_INTERNAL, rng.uniform(5, 800), attrs,
                   rng.choice(ERRORS) if rng.random() < 0.03 else None)

    def retrieval(self) -> None:
        rng = self.rng
        attrs = {"gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": "kb-main", "db.system.name": "qdrant",
                 "db.collection.name": f"{self.agent[0]}-docs", "db.operation.name": "search", "retrieval.top_k": 8,
                 "retrieval.documents.count": rng.randint(0, 8), "gen_ai.request.model": "text-embedding-3-small",
                 "gen_ai.usage.input_tokens": rng.randint(8, 120)}
        self._span("retrieval kb-main", Span.SPAN_KIND_CLIENT, rng.uniform(20, 250), attrs)

    def finish(self, start_ns: int, user: str) -> list[Span]:
        """The root invoke_agent span, exported last because it ends last."""
        attrs = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": self.agent[0], "gen_ai.agent.id": self.agent[1],
                 "gen_ai.agent.version": "2.3.1", "gen_ai.conversation.id": self.conv.decode(), "gen_ai.provider.name": self.provider,
                 "gen_ai.request.model": self.model, "user.id": user, "gen_ai.agent.description": f"{self.agent[1]} for {self.agent[0]}"}
        root = Span(trace_id=self.trace_id, span_id=self.root_id, name=f"invoke_agent {self.agent[0]}", kind=Span.SPAN_KIND_INTERNAL,
                    start_time_unix_nano=start_ns, end_time_unix_nano=self.clock + 1_000_000, attributes=_attrs(attrs))
        if any(span.status.code == Status.STATUS_CODE_ERROR for span in self.spans) and self.rng.random() < 0.3:
            root.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message="agent gave up after a tool error"))
        if self.specialist is None:
            return [*self.spans, root]
        self.specialist.end_time_unix_nano = self.clock + 500_000
        return [*self.spans, self.specialist, root]


def _session_spans(rng: random.Random, agent: tuple[str, str], size: int, start_ns: int,
                   handoff: bool = False) -> tuple[list[Span], bytes, bytes]:
    """Exactly size spans: turns of chat → tools/retrieval until the budget is used, then a final chat and the root.
    With handoff, the agent hands off to a specialist halfway (one span of the budget is the specialist's own)."""
    session = _Session(rng, agent, start_ns)
    budget = size - 1 if handoff else size
    while len(session.spans) < budget - 2:
        if handoff and session.specialist is None and len(session.spans) >= budget // 2:
            session.hand_off()
        step = rng.random()
        if step < 0.45:
            session.chat()
        elif step < 0.85:
            session.tool()
        else:
            session.retrieval()
    if handoff and session.specialist is None:
        session.hand_off()
    while len(session.spans) < budget - 1:
        session.chat()
    return session.finish(start_ns, f"user-{rng.randint(1, 5000)}"), session.trace_id, session.conv


def build_requests(seed: int, spans_per_request: int, handoffs: bool = False) -> list[Template]:
    """One agent service's cycle: SESSIONS sessions starting across CYCLE_S seconds, their spans cut in end order
    into requests of exactly spans_per_request spans (the remainder is dropped). With handoffs, every session's
    agent hands off to a specialist halfway: traces of two agents."""
    rng = random.Random(seed)
    agent = AGENTS[seed % len(AGENTS)]
    resource = _attrs({
        "service.name": agent[0], "service.version": f"1.{seed % 7}.0", "deployment.environment.name": rng.choice(["production", "staging"]),
        "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.language": "python", "telemetry.sdk.version": "1.38.0",
        "host.name": f"{agent[0]}-{rng.randint(1, 9)}", "process.pid": rng.randint(100, 60000)})
    ended: list[tuple[int, int, Span]] = []  # (end, session, span)
    sessions: list[tuple[bytes, bytes]] = []
    base = time.time_ns()  # times near now, so that their 8 bytes are unlikely to occur anywhere else in a request
    for session in range(SESSIONS):
        spans, trace_id, conv = _session_spans(rng, agent, rng.randint(5, 40), 0, handoffs)
        start = rng.randint(0, max(0, CYCLE_S * 10**9 - spans[-1].end_time_unix_nano))
        for span in spans:
            _move(span, base + start)
            ended.append((span.end_time_unix_nano, session, span))
        sessions.append((trace_id, conv))
    ended.sort(key=lambda item: item[0])
    requests = []
    for first in range(0, len(ended) - spans_per_request + 1, spans_per_request):
        chunk = ended[first:first + spans_per_request]
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(resource)
        scope = resource_spans.scope_spans.add()
        scope.scope.name, scope.scope.version = "opentelemetry.instrumentation.openai_agents", "0.1.0"
        scope.spans.extend(span for _, _, span in chunk)
        requests.append(_template(request.SerializeToString(), sessions, sorted({session for _, session, _ in chunk}), chunk))
    return requests


def _move(span: Span, shift: int) -> None:
    span.start_time_unix_nano += shift
    span.end_time_unix_nano += shift
    for event in span.events:
        event.time_unix_nano += shift


def _find(data: bytes, needle: bytes) -> list[int]:
    found, at = [], data.find(needle)
    while at != -1:
        found.append(at)
        at = data.find(needle, at + len(needle))
    return found


def _template(data: bytes, sessions: list[tuple[bytes, bytes]], present: list[int], chunk: list[tuple[int, int, Span]]) -> Template:
    """Finds every occurrence of the present sessions' trace and conversation ids and of every (fixed64) time in data."""
    marks = sorted((at, len(needle), session, is_conv)
                   for session in present
                   for needle, is_conv in ((sessions[session][0], False), (sessions[session][1], True))
                   for at in _find(data, needle))
    times = {value for _, _, span in chunk
             for value in (span.start_time_unix_nano, span.end_time_unix_nano, *(event.time_unix_nano for event in span.events))}
    time_marks = sorted((at, value) for value in times for at in _find(data, struct.pack("<Q", value)))
    taken = sorted([(at, length) for at, length, _, _ in marks] + [(at, 8) for at, _ in time_marks])
    if any(a[0] + a[1] > b[0] for a, b in zip(taken, taken[1:], strict=False)):
        raise ValueError("overlapping id or time occurrences in a request; try another seed")
    return Template(data, marks, time_marks, len(chunk), chunk[-1][0])
