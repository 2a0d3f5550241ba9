"""A generated agent fleet for the jobs tests, and the brute-force oracle the jobs are checked against.

plan_fleet() builds sessions as plain data (traces of spans with ids, times, attributes); export() sends
them through the official OTLP/gRPC exporter; the oracle functions compute every expected figure in
plain Python from the plan alone, without any code of jobs/.

The fleet covers: resolved, failed (root ERROR), escalated (handoff span, handoff attribute), explicit
outcomes, sessions whose root never arrived (abandoned once idle, running while recent), multi-trace
sessions, traces without a session id, unpriced models, invoke_agent roots repeating their children's
usage (not counted twice) and roots carrying the only usage (counted), sessions crossing minute and hour
edges, two versions, two environments and user segments.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

MS = 1_000_000
MODEL_OPS = ("chat", "text_completion", "embeddings")


@dataclass
class Span:
    trace_id: int
    span_id: int
    parent_id: int | None
    name: str
    operation: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    error: bool = False
    cost: float = 0.0
    tokens: tuple[int, int] = (0, 0)
    unpriced: bool = False
    tool: str = ""


@dataclass
class Session:
    key: str  # the session id the store should give it: the named one, or the first trace id in hex
    agent: str
    version: str
    environment: str
    user: str
    segment: str
    spans: list[Span] = field(default_factory=list)


def _ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def plan_fleet(agent: str, base: dt.datetime, now: dt.datetime, seed: int, count: int = 60,
               versions: tuple[str, ...] = ("1.0", "1.1")) -> list[Session]:
    """count sessions of agent starting within two hours after base (which must be at least 3 h before now)."""
    rng = random.Random(seed)
    sessions = []
    for index in range(count):
        kind = ["resolved", "resolved", "failed", "handoff_span", "handoff_attr", "explicit", "rootless_idle",
                "multi_trace", "no_session_id", "agent_usage_only", "edge"][index % 11]
        start = base + dt.timedelta(seconds=rng.uniform(0, 7000))
        if kind == "edge":  # a session that crosses a minute and an hour edge
            start = base.replace(minute=59, second=58, microsecond=rng.randrange(0, 900_000))
        sessions.append(_plan_session(agent, rng, index, kind, start, versions))
    # One session still running: recent children, root not ended yet.
    sessions.append(_plan_session(agent, rng, count, "running", now - dt.timedelta(minutes=3), versions))
    return sessions


def _plan_session(agent: str, rng: random.Random, index: int, kind: str, start: dt.datetime,
                  versions: tuple[str, ...]) -> Session:
    trace_id = rng.getrandbits(128) | 1
    version = versions[index % len(versions)]
    environment = ["production", "staging"][index % 2]
    segment = ["", "free", "pro"][index % 3]
    # Without a root nothing names the session: the store keys it by its trace id, like a trace without one.
    named = kind not in ("no_session_id", "rootless_idle", "running")
    key = f"s-{agent}-{index}" if named else f"{trace_id:032x}"
    session = Session(key, agent, version, environment, f"user-{index % 7}", segment)
    traces = [trace_id] + ([rng.getrandbits(128) | 1] if kind == "multi_trace" else [])
    cursor = _ns(start)
    for turn, tid in enumerate(traces):
        cursor = _plan_trace(session, rng, kind, tid, cursor, named, turn == len(traces) - 1)
    return session


def _plan_trace(session: Session, rng: random.Random, kind: str, trace_id: int, start_ns: int, named: bool, last: bool) -> int:
    root_id = rng.getrandbits(64) | 1
    t = start_ns + rng.randrange(1, 50) * MS
    children: list[Span] = []
    child_usage = kind != "agent_usage_only"
    for step in range(rng.randrange(2, 6)):
        model = "mystery-llm-x" if (step == 1 and rng.random() < 0.5) else "gpt-4o-mini"
        duration = rng.randrange(200, 4000) * MS
        tokens = (rng.randrange(100, 3000), rng.randrange(10, 600)) if child_usage else (0, 0)
        unpriced = model == "mystery-llm-x" and child_usage
        cost = 0.0 if unpriced or not child_usage else round(rng.uniform(0.0001, 0.05), 6)
        attributes: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
        if child_usage:
            attributes.update({"gen_ai.usage.input_tokens": tokens[0], "gen_ai.usage.output_tokens": tokens[1]})
        if cost:
            attributes["gen_ai.usage.cost"] = cost
        children.append(Span(trace_id, rng.getrandbits(64) | 1, root_id, f"chat {model}", "chat", t, t + duration,
                             attributes, cost=cost, tokens=tokens, unpriced=unpriced))
        t += duration + rng.randrange(1, 30) * MS
        if rng.random() < 0.8:
            tool = rng.choice(["search", "fetch", "calculator"])
            tool_duration = rng.randrange(5, 900) * MS
            error = rng.random() < 0.15
            children.append(Span(trace_id, rng.getrandbits(64) | 1, root_id, f"execute_tool {tool}", "execute_tool", t,
                                 t + tool_duration, {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool},
                                 error=error, tool=tool))
            t += tool_duration + rng.randrange(1, 30) * MS
    if kind == "handoff_span" and last:
        children.append(Span(trace_id, rng.getrandbits(64) | 1, root_id, "handoff to human", "handoff", t, t + 5 * MS,
                             {"gen_ai.operation.name": "handoff"}))
        t += 6 * MS
    end_ns = t + rng.randrange(1, 40) * MS
    root_attributes: dict[str, Any] = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": session.agent,
                                       "gen_ai.agent.version": session.version, "user.id": session.user}
    if named:
        root_attributes["gen_ai.conversation.id"] = session.key
    if session.segment:
        root_attributes["spanledger.user_segment"] = session.segment
    if kind == "handoff_attr" and last:
        root_attributes["spanledger.handoff"] = "true"
    if kind == "explicit" and last:
        root_attributes["spanledger.outcome"] = rng.choice(["resolved", "escalated", "failed", "abandoned"])
    # The root repeats its children's usage (instrumentations often do); when they have none it is the only usage.
    child_tokens = (sum(c.tokens[0] for c in children), sum(c.tokens[1] for c in children))
    child_cost = round(sum(c.cost for c in children), 6)
    root_cost = child_cost if child_usage else round(rng.uniform(0.01, 0.2), 6)
    root_tokens = child_tokens if child_usage else (rng.randrange(500, 5000), rng.randrange(50, 900))
    root_attributes.update({"gen_ai.usage.input_tokens": root_tokens[0], "gen_ai.usage.output_tokens": root_tokens[1]})
    if root_cost:
        root_attributes["gen_ai.usage.cost"] = root_cost
    root = Span(trace_id, root_id, None, f"invoke_agent {session.agent}", "invoke_agent", start_ns, end_ns, root_attributes,
                error=kind == "failed" and last, cost=root_cost, tokens=root_tokens)
    spans = [root, *children] if kind not in ("rootless_idle", "running") else children
    session.spans.extend(spans)
    return end_ns + rng.randrange(1000, 20_000) * MS


# -- export ----------------------------------------------------------------------------------------

def readable(span: Span, session: Session) -> ReadableSpan:
    resource = Resource.create({"service.name": session.agent, "service.version": session.version,
                                "deployment.environment.name": session.environment})
    return ReadableSpan(
        span.name, context=SpanContext(span.trace_id, span.span_id, False, TraceFlags(1)),
        parent=SpanContext(span.trace_id, span.parent_id, False, TraceFlags(1)) if span.parent_id else None,
        resource=resource, attributes=span.attributes, kind=SpanKind.INTERNAL,
        status=Status(StatusCode.ERROR) if span.error else Status(StatusCode.UNSET),
        start_time=span.start_ns, end_time=span.end_ns, instrumentation_scope=InstrumentationScope("jobs-tests"))


def export(port: int, sessions: list[Session], spans: list[Span] | None = None) -> None:
    """Exports the sessions' spans (or only the given ones) with the official OTLP/gRPC exporter."""
    by_span = {id(span): session for session in sessions for span in session.spans}
    chosen = spans if spans is not None else [span for session in sessions for span in session.spans]
    exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}", insecure=True)
    try:
        for start in range(0, len(chosen), 200):
            result = exporter.export([readable(span, by_span[id(span)]) for span in chosen[start:start + 200]])
            assert result.name == "SUCCESS", result
    finally:
        exporter.shutdown()


# -- oracle ----------------------------------------------------------------------------------------

def nearest_rank(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered) / 100 - 1e-9)) - 1]


def expected_session(session: Session, now: dt.datetime, idle: dt.timedelta) -> dict[str, Any]:
    spans = session.spans
    roots = [s for s in spans if s.parent_id is None]
    traces = {s.trace_id for s in spans}
    last_end = max(s.end_ns for s in spans)
    finished = {r.trace_id for r in roots} == traces or last_end <= _ns(now - idle)
    direct = [s for s in spans if s.operation != "invoke_agent"]
    direct_usage = any(sum(s.tokens) > 0 or s.cost > 0 for s in direct)
    counted = direct if direct_usage else spans
    final_root = max(roots, key=lambda s: s.end_ns) if roots else None
    explicit = next((r.attributes["spanledger.outcome"] for r in sorted(roots, key=lambda s: s.end_ns, reverse=True)
                     if "spanledger.outcome" in r.attributes), None)
    if not finished:
        outcome = "running"
    elif explicit:
        outcome = explicit
    elif any(s.operation == "handoff" or s.attributes.get("spanledger.handoff") == "true" for s in spans):
        outcome = "escalated"
    elif final_root is not None and final_root.error:
        outcome = "failed"
    elif len({r.trace_id for r in roots}) < len(traces):
        outcome = "abandoned"
    else:
        outcome = "resolved"
    start_ns = min(s.start_ns for s in spans)
    return {
        "session_id": session.key, "agent_name": session.agent, "agent_version": session.version,
        "environment": session.environment, "segment": session.segment if roots else "", "user_id": session.user if roots else "",
        "first_start_ns": start_ns, "duration_ns": last_end - start_ns, "spans": len(spans),
        "model_calls": sum(s.operation in MODEL_OPS for s in spans), "tool_calls": sum(s.operation == "execute_tool" for s in spans),
        "error_spans": sum(s.error for s in spans), "input_tokens": sum(s.tokens[0] for s in counted),
        "output_tokens": sum(s.tokens[1] for s in counted), "cost_usd": sum(s.cost for s in counted),
        "unpriced_spans": sum(s.unpriced for s in counted), "finished": finished, "outcome": outcome,
    }


def bucket_of(start_ns: int, seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(start_ns // 10**9 // seconds * seconds, dt.UTC)


def expected_rollups(sessions: list[Session], expected: dict[str, dict[str, Any]], seconds: int) -> dict[tuple, dict[str, Any]]:
    """Per (version, environment, segment, bucket): every figure of a rollup_agents row, brute force."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in expected.values():
        groups[(row["agent_version"], row["environment"], row["segment"], bucket_of(row["first_start_ns"], seconds))].append(row)
    return {key: session_group_figures(rows) for key, rows in groups.items()}


def session_group_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    done = [r for r in rows if r["finished"]]
    n = len(done)
    costs = [r["cost_usd"] for r in done]
    durations = [r["duration_ns"] / 1e6 for r in done]
    out: dict[str, Any] = {
        "sessions": len(rows), "finished": n, "running": len(rows) - n,
        **{name: sum(r["outcome"] == name for r in rows) for name in ("resolved", "escalated", "failed", "abandoned")},
        "spend_usd": sum(r["cost_usd"] for r in rows), "cost_max": max(costs) if costs else None,
        "cost_mean": sum(costs) / n if n else None,
        **{name: sum(r[name] for r in rows) for name in ("spans", "model_calls", "tool_calls", "error_spans",
                                                          "unpriced_spans", "input_tokens", "output_tokens")},
    }
    for outcome, rate in (("resolved", "success_rate"), ("failed", "error_rate"), ("escalated", "handoff_rate")):
        out[rate] = out[outcome] / n if n else None
    for p in (50, 95, 99):
        out[f"session_ms_p{p}"] = nearest_rank(durations, p)
        out[f"cost_p{p}"] = nearest_rank(costs, p)
    return out


def expected_calls(sessions: list[Session], expected: dict[str, dict[str, Any]], seconds: int,
                   key_of: Any = None) -> dict[tuple, dict[str, Any]]:
    """Per (group, kind, name): calls, errors and durations of the calls, attributed to their session's start bucket."""
    out: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"calls": 0, "errors": 0, "durations": []})
    for session in sessions:
        row = expected[session.key]
        group = key_of(row) if key_of else (row["agent_version"], row["environment"], row["segment"],
                                            bucket_of(row["first_start_ns"], seconds))
        for span in session.spans:
            if span.operation in MODEL_OPS or span.operation == "execute_tool":
                kind = "tool" if span.operation == "execute_tool" else "model"
                for name in ([span.tool, ""] if kind == "tool" else [""]):
                    cell = out[(group, kind, name)]
                    cell["calls"] += 1
                    cell["errors"] += span.error
                    cell["durations"].append((span.end_ns - span.start_ns) / 1e6)
    return dict(out)
