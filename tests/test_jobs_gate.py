"""`spanledger gate` over generated canaries: it passes, fails and says 'not enough data' where it should,
and its decision rule holds on its own (tests of jobs.gate.decide)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from click.testing import CliRunner

from jobs.gate import GateMargins, VersionStats, decide, success_drop_p_value
from jobs.time_ranges import floor_to
from spanledger.cli import main
from tests.jobs_fleet import _plan_session, export


@pytest.fixture(scope="module")
def canaries(service):  # type: ignore[no-untyped-def]
    """Agent with a baseline 1.0, a like-for-like canary 2.0 and a canary 3.0 that fails a third of its sessions.
    Every version replays the same session seeds, so latency and cost distributions are identical."""
    agent = "gate-" + dt.datetime.now().strftime("%H%M%S%f")
    now = dt.datetime.now(dt.UTC)
    base = floor_to(now - dt.timedelta(hours=3), 3600)
    sessions = []
    for version in ("1.0", "2.0", "3.0"):
        for index in range(60):
            rng = random.Random(index)
            kind = "failed" if version == "3.0" and index % 3 == 0 else "resolved"
            session = _plan_session(agent, rng, index, kind, base + dt.timedelta(seconds=index * 60), (version,))
            session.key = f"{session.key}-{version}"
            for span in session.spans:
                span.trace_id ^= hash(version) & 0xFFFF_FFFF  # distinct traces per version
                if "gen_ai.conversation.id" in span.attributes:
                    span.attributes["gen_ai.conversation.id"] = session.key
            sessions.append(session)
    export(service.grpc_port, sessions)
    service.flush()
    CliRunner().invoke(main, ["jobs", "run", "--url", f"http://127.0.0.1:{service.http_port}"], catch_exceptions=False)
    return agent, base


def gate(service, agent: str, candidate: str, *extra: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["gate", "--agent", agent, "--candidate", candidate, "--baseline", "1.0", "--since", "6h",
                                       "--min-sessions", "50", "--url", f"http://127.0.0.1:{service.http_port}", *extra])
    return result.exit_code, result.output


def test_gate_passes_a_like_for_like_canary(service, canaries) -> None:  # type: ignore[no-untyped-def]
    code, output = gate(service, canaries[0], "2.0")
    assert code == 0, output
    assert "verdict: pass" in output


def test_gate_fails_a_canary_that_fails_sessions(service, canaries) -> None:  # type: ignore[no-untyped-def]
    code, output = gate(service, canaries[0], "3.0")
    assert code == 1, output
    assert "verdict: fail" in output and "success_rate" in output


def test_gate_says_not_enough_data(service, canaries) -> None:  # type: ignore[no-untyped-def]
    code, output = gate(service, canaries[0], "2.0", "--min-sessions", "61")
    assert code == 2, output
    assert "not enough data" in output
    code, _ = gate(service, canaries[0], "9.9")  # a version with no sessions at all
    assert code == 2


def _stats(version: str, finished: int, resolved: int, latency: float = 1000.0, cost: float = 0.1) -> VersionStats:
    return VersionStats(version, finished, resolved, latency, cost)


def test_decide_rules() -> None:
    margins = GateMargins(success=0.02, latency=0.1, cost=0.1, alpha=0.05, min_sessions=100)
    base = _stats("1", 1000, 900)
    assert decide(_stats("2", 99, 99), base, margins).verdict == "not enough data"
    assert decide(_stats("2", 1000, 895), base, margins).verdict == "pass"  # within the margin
    assert decide(_stats("2", 1000, 800), base, margins).verdict == "fail"  # 10 points down, significant
    assert decide(_stats("2", 100, 85), _stats("1", 100, 90), margins).verdict == "pass"  # 5 points down, but noise at n=100
    assert decide(_stats("2", 1000, 900, latency=1101), base, margins).verdict == "fail"
    assert decide(_stats("2", 1000, 900, latency=1099), base, margins).verdict == "pass"
    assert decide(_stats("2", 1000, 900, cost=0.111), base, margins).verdict == "fail"
    z, p = success_drop_p_value(_stats("2", 1000, 800), base, 0.02)
    assert z < -1.645 and p < 0.05
