"""The demo fleet: planned sessions are deterministic, and what it exports lands whole through real OTLP/gRPC."""

from __future__ import annotations

import random
import socket
import statistics
import time

from spanledger.demo import DemoFleet, plan_session
from spanledger.demo_catalog import MODELS, UNPRICED
from tests.conftest import rows

_OPERATIONS = {"invoke_agent", "chat", "execute_tool", "retrieval", "handoff", "embeddings"}


def test_same_seed_plans_the_same_sessions() -> None:
    first, second = random.Random(5), random.Random(5)
    assert [plan_session(first) for _ in range(50)] == [plan_session(second) for _ in range(50)]


def test_planned_durations_are_realistic() -> None:
    rng = random.Random(9)
    for _ in range(500):
        plan = plan_session(rng)
        for child in plan.children:
            seconds = (child.end_ns - child.start_ns) / 1e9
            operation = child.attributes["gen_ai.operation.name"]
            if operation == "chat":
                assert 0.3 <= seconds <= 8.0
            elif operation == "execute_tool":
                assert 0.05 <= seconds <= 2.0
            assert 0 < child.start_ns < child.end_ns <= plan.root.end_ns


def test_fleet_fills_the_store_with_sessions(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    prefix = f"demo{unique}-"
    fleet = DemoFleet(f"http://127.0.0.1:{service.grpc_port}", 25.0, seed=20240611, name_prefix=prefix,
                      backfill_hours=24, backfill_sessions=120)
    fleet.start()
    _await_sessions(fleet, 150)  # the backfill, then live ones at the rate
    stopping = time.monotonic()
    fleet.stop()  # flushes: every span it emitted is stored once this returns
    assert time.monotonic() - stopping < 6.0
    assert fleet.sessions_sent >= 150
    service.flush()
    mine = {"p": prefix}
    where = "FROM spans FINAL WHERE startsWith(service_name, {p:String})"

    versions = rows(store, f"SELECT agent_name, agent_version, groupUniqArray(environment) AS envs {where} GROUP BY ALL", mine)
    assert len({row["agent_name"] for row in versions}) >= 4 and len(versions) >= 8
    assert {env for row in versions for env in row["envs"]} == {"prod", "staging"}
    assert {row["operation"] for row in rows(store, f"SELECT DISTINCT operation {where}", mine)} == _OPERATIONS

    sessions = rows(store, f"""SELECT session_id, countIf(parent_span_id = '') AS roots, count() AS spans,
        uniqExact(agent_name) AS agents, uniqExact(agent_version) AS versions, uniqExact(trace_id) AS traces,
        sum(cost_usd) AS cost, max(start_time) > now() - INTERVAL 1 HOUR AS live {where} GROUP BY session_id""", mine)
    assert len(sessions) == fleet.sessions_sent
    assert all(row["roots"] == 1 and row["spans"] > 1 and row["agents"] == 1 and row["versions"] == 1
               and row["traces"] == 1 for row in sessions)
    assert 0 < sum(row["live"] for row in sessions) < len(sessions)  # a backfill of the past, then live ones
    costs = [row["cost"] for row in sessions]
    assert max(costs) > 5 * statistics.median(costs) > 0

    sources = rows(store, f"SELECT cost_source, groupUniqArray(response_model) AS models {where} GROUP BY cost_source", mine)
    by_source = {row["cost_source"]: set(row["models"]) for row in sources}
    assert by_source["unpriced"] == {MODELS[UNPRICED].response}
    assert {"computed", "none"} <= by_source.keys()  # retrievals and failed calls carry no tokens

    errors = rows(store, f"""SELECT operation, count() AS n,
        countIf(arrayExists(e -> e.name = 'exception', events)) AS with_event,
        countIf(attributes['spanledger.outcome'] = 'failed') AS failed
        {where} AND status_code = 'ERROR' GROUP BY operation""", mine)
    by_operation = {row["operation"]: row for row in errors}
    assert by_operation["execute_tool"]["n"] > 0 and by_operation["invoke_agent"]["n"] > 0
    assert all(row["with_event"] == row["n"] for row in errors)
    assert by_operation["invoke_agent"]["failed"] == by_operation["invoke_agent"]["n"]

    escalated = rows(store, f"""SELECT countIf(operation = 'handoff') AS handoffs,
        countIf(operation = 'invoke_agent' AND attributes['spanledger.outcome'] = 'escalated') AS escalated,
        sum(reasoning_tokens) AS reasoning, sum(cache_read_tokens) AS cached {where}""", mine)[0]
    assert escalated["handoffs"] == escalated["escalated"] > 0
    assert escalated["reasoning"] > 0 and escalated["cached"] > 0


def test_stop_returns_when_the_server_is_gone() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fleet = DemoFleet(f"http://127.0.0.1:{port}", 50.0, seed=3, backfill_sessions=20)
    fleet.start()
    _await_sessions(fleet, 25)
    stopping = time.monotonic()
    fleet.stop(timeout=1.0)
    assert time.monotonic() - stopping < 2.0


def _await_sessions(fleet: DemoFleet, count: int) -> None:
    """Lets the live part of the fleet run until it has sent count sessions (it has no completion to wait on)."""
    deadline = time.monotonic() + 15
    while fleet.sessions_sent < count and time.monotonic() < deadline:
        time.sleep(0.05)
