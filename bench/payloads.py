"""Realistic agent-session OTLP payloads for the ingest bench, built once and re-stamped per send.

A template is one serialized ExportTraceServiceRequest of whole agent sessions (one trace each). Sending it
again with fresh trace ids and conversation ids costs one bytes join, so the generator spends its CPU on
gRPC, not on protobuf. Never re-send a template unstamped: the spans table would collapse the repeats.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Template:
    """Serialized request cut at every trace id / conversation id; slots[i] says which id fills gap i."""
    pieces: list[bytes]
    slots: list[tuple[int, bool]]  # (trace index, is conversation id)
    traces: int
    spans: int

    def stamp(self) -> bytes:
        """The request with fresh random ids: distinct spans every call, parent links intact."""
        trace_ids = [os.urandom(16) for _ in range(self.traces)]
        convs = [CONV_PREFIX + tid.hex()[:CONV_HEX].encode() for tid in trace_ids]
        out = [self.pieces[0]]
        for (trace, is_conv), piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(convs[trace] if is_conv else trace_ids[trace])
            out.append(piece)
        return b"".join(out)


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
        self.provider, self.model, self.response_model = rng.choice(MODELS)
        self.spans: list[Span] = []

    def _span(self, name: str, kind: Span.SpanKind.ValueType, millis: float, attrs: dict[str, object], error: tuple[str, str] | None = None) -> None:
        start = self.clock
        self.clock += int(millis * 1e6)
        span = Span(trace_id=self.trace_id, span_id=self.rng.randbytes(8), parent_span_id=self.root_id, name=name,
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
                 "gen_ai.agent.name": self.agent[0], "code.function.name": f"tools.{name}", "thread.id": rng.randint(1, 64)}
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
        return [*self.spans, root]


def _session_spans(rng: random.Random, agent: tuple[str, str], size: int, start_ns: int) -> tuple[list[Span], bytes, bytes]:
    """Exactly size spans: turns of chat → tools/retrieval until the budget is used, then a final chat and the root."""
    session = _Session(rng, agent, start_ns)
    while len(session.spans) < size - 2:
        step = rng.random()
        if step < 0.45:
            session.chat()
        elif step < 0.85:
            session.tool()
        else:
            session.retrieval()
    while len(session.spans) < size - 1:
        session.chat()
    return session.finish(start_ns, f"user-{rng.randint(1, 5000)}"), session.trace_id, session.conv


def build_template(seed: int, spans_per_request: int) -> Template:
    """One request from one agent service: whole sessions of 5–40 spans, exactly spans_per_request spans in all."""
    rng = random.Random(seed)
    agent = AGENTS[seed % len(AGENTS)]
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(_attrs({
        "service.name": agent[0], "service.version": f"1.{seed % 7}.0", "deployment.environment.name": rng.choice(["production", "staging"]),
        "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.language": "python", "telemetry.sdk.version": "1.38.0",
        "host.name": f"{agent[0]}-{rng.randint(1, 9)}", "process.pid": rng.randint(100, 60000)}))
    scope = resource_spans.scope_spans.add()
    scope.scope.name, scope.scope.version = "opentelemetry.instrumentation.openai_agents", "0.1.0"
    ids: list[tuple[bytes, bytes]] = []
    now = time.time_ns()
    left = spans_per_request
    while left:
        size = left if left <= 45 else rng.randint(5, 40)
        spans, trace_id, conv = _session_spans(rng, agent, size, now - rng.randint(60, 3600) * 10**9)
        scope.spans.extend(spans)
        ids.append((trace_id, conv))
        left -= size
    return _cut(request.SerializeToString(), ids, spans_per_request)


def _cut(data: bytes, ids: list[tuple[bytes, bytes]], spans: int) -> Template:
    """Splits data at every occurrence of each trace id and conversation id."""
    marks: list[tuple[int, int, int, bool]] = []  # (offset, length, trace, is_conv)
    for trace, (trace_id, conv) in enumerate(ids):
        for needle, is_conv in ((trace_id, False), (conv, True)):
            at = data.find(needle)
            while at != -1:
                marks.append((at, len(needle), trace, is_conv))
                at = data.find(needle, at + len(needle))
    marks.sort()
    if any(a[0] + a[1] > b[0] for a, b in zip(marks, marks[1:], strict=False)):
        raise ValueError("overlapping id occurrences in a template; try another seed")
    pieces, slots, position = [], [], 0
    for offset, length, trace, is_conv in marks:
        pieces.append(data[position:offset])
        slots.append((trace, is_conv))
        position = offset + length
    pieces.append(data[position:])
    return Template(pieces, slots, len(ids), spans)
