"""The built-in synthetic agent fleet behind `spanledger serve --demo`.

Sessions are planned as plain data from one seeded random source (plan_session, pure), then sent through
the real OpenTelemetry SDK and OTLP/gRPC exporter like any instrumented agent. It never touches the store,
and never sets the global tracer provider: each agent version has its own per environment.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from spanledger import demo_catalog as catalog
from spanledger.demo_catalog import Agent, Model, Tool

log = logging.getLogger(__name__)

_NS = 1_000_000_000
_EXPORT_TIMEOUT_S = 10.0  # one export with its retries; stop() waits less, on a thread of its own
_FLUSH_EVERY = 1000  # backfill sessions between blocking flushes, so a big backfill never overflows the queue
_QUEUE_SPANS = 65_536
_CONTEXT_LIMIT = 200_000  # prompt tokens at most: agents truncate their history before a model refuses it
_T = TypeVar("_T")


@dataclass(frozen=True)
class SpanPlan:
    """One span of a planned session; times are nanoseconds from the session's start."""

    name: str
    kind: SpanKind
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    error: tuple[type[Exception], str] | None = None


@dataclass(frozen=True)
class SessionPlan:
    service_name: str
    version: str
    environment: str
    root: SpanPlan
    children: tuple[SpanPlan, ...]


def plan_session(rng: random.Random, name_prefix: str = "") -> SessionPlan:
    """One agent session: a root invoke_agent span and its model, tool, retrieval and handoff calls."""
    agent = _pick(rng, [(agent, agent.weight) for agent in catalog.AGENTS])
    environment = _pick(rng, catalog.ENVIRONMENTS)
    version = _pick(rng, [(v, v.prod_weight if environment == "prod" else v.staging_weight) for v in agent.versions])
    runaway = rng.random() < catalog.RUNAWAY_RATE
    turns = rng.randint(20, 45) if runaway else rng.randint(*version.turns)
    context = int(rng.randint(1200, 4000) * version.context_scale * (12 if runaway else 1))
    failed = rng.random() < version.error_rate
    escalated = not failed and rng.random() < version.escalation_rate
    fail_turn = rng.randrange(turns) if failed else -1
    steps = _Steps(rng)
    error: tuple[type[Exception], str] | None = None
    for turn in range(turns):
        if agent.knowledge_base and (turn == 0 or rng.random() < 0.25):
            context += steps.retrieve(agent, runaway)
        model = catalog.MODELS[_pick(rng, version.models)]
        if turn == fail_turn and (turn == turns - 1 or rng.random() < 0.5):
            error = steps.failed_chat(model, context)
            break
        context += steps.chat(model, context, final=turn == turns - 1)
        if turn == turns - 1:
            break
        tool = rng.choice(agent.tools)
        if turn == fail_turn:  # the agent gives up on a tool error
            steps.tool(tool, fails=True)
            error = tool.failure
            break
        if not steps.tool(tool, fails=rng.random() < version.tool_failure_rate):
            context += rng.randint(40, 200)  # the error text goes back to the model, which tries another way
        else:
            context += rng.randint(100, 1500) * (4 if runaway else 1)
    if escalated:
        steps.handoff()
    agent_name = name_prefix + agent.name
    root_attributes: dict[str, Any] = {
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent_name,
        "gen_ai.agent.version": version.version, "gen_ai.conversation.id": f"sess-{name_prefix}{rng.getrandbits(64):016x}",
        "user.id": f"user-{rng.randrange(catalog.USERS):04d}"}
    if error is not None:
        root_attributes.update({"spanledger.outcome": "failed", "error.type": error[0].__name__})
    elif escalated:
        root_attributes["spanledger.outcome"] = "escalated"
    root = SpanPlan(f"invoke_agent {agent_name}", SpanKind.INTERNAL, 0, steps.clock + steps.gap(), root_attributes, error)
    return SessionPlan(agent_name, version.version, environment, root, tuple(steps.children))


class _Steps:
    """Lays a session's calls end to end on a clock that starts at 0, with realistic durations."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.clock = 0
        self.children: list[SpanPlan] = []
        self.chats = 0

    def gap(self) -> int:
        return int(self.rng.uniform(0.005, 0.06) * _NS)  # the agent's own work between calls

    def add(self, name: str, kind: SpanKind, seconds: float, attributes: dict[str, Any],
            error: tuple[type[Exception], str] | None = None) -> None:
        start = self.clock + self.gap()
        self.clock = start + int(seconds * _NS)
        self.children.append(SpanPlan(name, kind, start, self.clock, attributes, error))

    def chat(self, model: Model, context: int, final: bool) -> int:
        rng = self.rng
        output = rng.randint(150, 900) if final else rng.randint(30, 300)
        reasoning = rng.randint(200, 3000) if model.reasoning else 0
        context = min(context, _CONTEXT_LIMIT)
        attributes = _model_attributes("chat", model) | {
            "gen_ai.response.model": model.response, "gen_ai.response.id": f"resp_{rng.getrandbits(48):012x}",
            "gen_ai.response.finish_reasons": ["stop" if final else "tool_calls"],
            "gen_ai.usage.input_tokens": context, "gen_ai.usage.output_tokens": output + reasoning}
        if model.caching and self.chats > 0 and rng.random() < 0.7:
            attributes["gen_ai.usage.cache_read.input_tokens"] = int(context * rng.uniform(0.4, 0.9))
        if reasoning:
            attributes["gen_ai.usage.reasoning.output_tokens"] = reasoning
        seconds = 0.2 + (output + reasoning) / model.tokens_per_second + context / 100_000 + rng.uniform(0, 0.5)
        self.add(f"chat {model.name}", SpanKind.CLIENT, min(max(seconds, 0.3), 8.0), attributes)
        self.chats += 1
        return output

    def failed_chat(self, model: Model, context: int) -> tuple[type[Exception], str]:
        error: tuple[type[Exception], str] = (catalog.RateLimitError, "429 Too Many Requests: rate limit, retries exhausted")
        if context > _CONTEXT_LIMIT // 2:
            error = (catalog.ContextWindowExceededError, f"prompt of {context} tokens exceeds the context window")
        attributes = _model_attributes("chat", model) | {"error.type": error[0].__name__}
        self.add(f"chat {model.name}", SpanKind.CLIENT, self.rng.uniform(0.3, 1.5), attributes, error)
        return error

    def tool(self, tool: Tool, fails: bool) -> bool:
        low, high = tool.latency_s
        seconds = high if fails and tool.failure[0] is TimeoutError else self.rng.uniform(low, high)
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool.name, "gen_ai.tool.type": "function",
            "gen_ai.tool.call.id": f"call_{self.rng.getrandbits(48):012x}"}
        if fails:
            attributes["error.type"] = tool.failure[0].__name__
        self.add(f"execute_tool {tool.name}", SpanKind.INTERNAL, seconds, attributes, tool.failure if fails else None)
        return not fails

    def retrieve(self, agent: Agent, runaway: bool) -> int:
        """An embedding of the query and a vector search; returns the tokens of context it adds."""
        model = catalog.MODELS[agent.embedding_model]
        self.add(f"embeddings {model.name}", SpanKind.CLIENT, self.rng.uniform(0.05, 0.3),
                 _model_attributes("embeddings", model) | {"gen_ai.response.model": model.response,
                                                           "gen_ai.usage.input_tokens": self.rng.randint(8, 80)})
        self.add(f"retrieval {agent.knowledge_base}", SpanKind.CLIENT, self.rng.uniform(0.03, 0.4),
                 {"gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": agent.knowledge_base,
                  "gen_ai.request.top_k": self.rng.choice((4, 5, 8))})
        return self.rng.randint(600, 2500) * (5 if runaway else 1)

    def handoff(self) -> None:
        reason = self.rng.choice(("customer asked for a person", "low confidence", "policy requires human approval"))
        self.add("handoff human", SpanKind.INTERNAL, self.rng.uniform(0.01, 0.08),
                 {"gen_ai.operation.name": "handoff", "spanledger.handoff.target": "human", "spanledger.handoff.reason": reason})


def _model_attributes(operation: str, model: Model) -> dict[str, Any]:
    """What a model call names before any answer (a failed call has no response model)."""
    return {"gen_ai.operation.name": operation, "gen_ai.provider.name": model.provider, "gen_ai.request.model": model.name,
            "server.address": model.server}


def _pick(rng: random.Random, weighted: Sequence[tuple[_T, float]]) -> _T:
    return rng.choices([item for item, _ in weighted], [weight for _, weight in weighted])[0]


class DemoFleet:
    """Emits planned sessions to an OTLP/gRPC endpoint: a backfill of the past at start, then live at a rate.

    Each (agent, version, environment) has its own TracerProvider and resource; all of them feed one batch
    processor and exporter, so the fleet holds one connection and flushes in one place.
    """

    def __init__(self, endpoint: str, sessions_per_second: float, seed: int | None = None, *, name_prefix: str = "",
                 backfill_hours: int = 24, backfill_sessions: int = 200, exporter_options: dict[str, Any] | None = None) -> None:
        self.endpoint = endpoint
        self.sessions_per_second = sessions_per_second
        self.name_prefix = name_prefix  # prepended to every agent and service name (keeps tests apart)
        self.backfill_hours = backfill_hours
        self.backfill_sessions = backfill_sessions
        self.sessions_sent = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()  # the random source and the providers belong to whoever holds it
        self._stop = threading.Event()
        self._providers: dict[tuple[str, str, str], tuple[TracerProvider, trace.Tracer]] = {}
        self._processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=_EXPORT_TIMEOUT_S,
                                                              **(exporter_options or {"insecure": True})),
                                             max_queue_size=_QUEUE_SPANS, max_export_batch_size=2048, schedule_delay_millis=500)
        self._thread = threading.Thread(target=self._run, name="demo-fleet", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stops emitting and sends what was emitted; returns within about timeout seconds, sent or not."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(max(deadline - time.monotonic(), 0))
        with self._lock:  # nothing is emitted any more once the stop is set and the lock taken
            self._providers.clear()
        # The SDK's shutdown has no deadline of its own; the thread lets a dead endpoint not hold up the server's stop.
        closing = threading.Thread(target=self._processor.shutdown, name="demo-flush", daemon=True)
        closing.start()
        closing.join(max(deadline - time.monotonic(), 0))
        if closing.is_alive():
            log.warning("demo fleet: spans to %s still unsent after %.0f s; giving up on them", self.endpoint, timeout)

    def backfill(self, hours: int, sessions: int) -> int:
        """Emits sessions at random moments of the past hours; returns how many it sent before a stop."""
        window = hours * 3600 * _NS
        now = time.time_ns()
        for sent in range(sessions):
            if sent and sent % _FLUSH_EVERY == 0:
                self._processor.force_flush()  # blocks until exported: a big backfill waits for the server
            with self._lock:
                if self._stop.is_set():
                    return sent
                plan = plan_session(self._rng, self.name_prefix)
                self._emit(plan, now - window + int(self._rng.random() * max(window - plan.root.end_ns, 0)))
        return sessions

    def _run(self) -> None:
        try:
            if self.backfill_sessions:
                self.backfill(self.backfill_hours, self.backfill_sessions)
            due = time.monotonic()
            while not self._stop.is_set():
                now = time.monotonic()
                due = max(due, now - 1.0)  # after a stall, resume the rate instead of bursting to catch up
                while due <= now and not self._stop.is_set():
                    due += self._emit_live()
                self._stop.wait(max(due - time.monotonic(), 0))
        except Exception:  # the fleet is a demo: log and stop, never take the server down
            log.exception("demo fleet stopped")

    def _emit_live(self) -> float:
        """Emits one session ending now; returns the seconds until the next one is due."""
        with self._lock:
            if not self._stop.is_set():
                plan = plan_session(self._rng, self.name_prefix)
                self._emit(plan, time.time_ns() - plan.root.end_ns)
            return self._rng.expovariate(self.sessions_per_second)

    def _emit(self, plan: SessionPlan, start_ns: int) -> None:
        tracer = self._tracer(plan)
        root = tracer.start_span(plan.root.name, kind=plan.root.kind, attributes=plan.root.attributes, start_time=start_ns)
        parent = trace.set_span_in_context(root)
        for child in plan.children:
            span = tracer.start_span(child.name, context=parent, kind=child.kind, attributes=child.attributes,
                                     start_time=start_ns + child.start_ns)
            _finish(span, child, start_ns)
        _finish(root, plan.root, start_ns)
        self.sessions_sent += 1

    def _tracer(self, plan: SessionPlan) -> trace.Tracer:
        key = (plan.service_name, plan.version, plan.environment)
        if key not in self._providers:
            resource = Resource.create({"service.name": plan.service_name, "service.version": plan.version,
                                        "deployment.environment.name": plan.environment})
            provider = TracerProvider(resource=resource, shutdown_on_exit=False)
            provider.add_span_processor(self._processor)
            self._providers[key] = (provider, provider.get_tracer("spanledger.demo", "0.1.0"))
        return self._providers[key][1]


def _finish(span: trace.Span, plan: SpanPlan, base_ns: int) -> None:
    if plan.error is not None:
        error, message = plan.error
        span.record_exception(error(message), timestamp=base_ns + plan.end_ns)
        span.set_status(Status(StatusCode.ERROR, f"{error.__name__}: {message}"))
    span.end(end_time=base_ns + plan.end_ns)

