"""The canary gate: does a candidate version do as well as its baseline? Pure decision, no I/O.

Verdicts: 'not enough data' when either version has fewer finished sessions than the minimum (exit 2),
else 'fail' when any check fails (exit 1), else 'pass' (exit 0). Checks:
- success rate: fails when the candidate's rate is below the baseline's minus the margin *and* a one-sided
  two-proportion z-test (unpooled standard error) rejects "candidate >= baseline - margin" at level alpha,
  i.e. only a drop larger than the margin that noise does not explain fails the gate;
- p95 session latency and p95 cost per session: fail when the candidate's exceeds the baseline's by more
  than the relative margin (exact nearest-rank percentiles over finished sessions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

EXIT_CODES = {"pass": 0, "fail": 1, "not enough data": 2}


@dataclass(frozen=True)
class VersionStats:
    version: str
    finished: int
    resolved: int
    latency_p95_ms: float | None
    cost_p95_usd: float | None

    @property
    def success_rate(self) -> float | None:
        return self.resolved / self.finished if self.finished else None


@dataclass(frozen=True)
class GateMargins:
    success: float = 0.02
    latency: float = 0.10
    cost: float = 0.10
    alpha: float = 0.05
    min_sessions: int = 100


@dataclass
class GateResult:
    verdict: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def success_drop_p_value(candidate: VersionStats, baseline: VersionStats, margin: float) -> tuple[float, float]:
    """(z, one-sided p-value) of H0: candidate rate >= baseline rate - margin; small p means a real drop."""
    pc, pb = candidate.resolved / candidate.finished, baseline.resolved / baseline.finished
    se = math.sqrt(pc * (1 - pc) / candidate.finished + pb * (1 - pb) / baseline.finished)
    diff = pc - pb + margin
    if se == 0:
        return (0.0, 0.5) if diff == 0 else ((math.inf, 1.0) if diff > 0 else (-math.inf, 0.0))
    z = diff / se
    return z, 0.5 * math.erfc(-z / math.sqrt(2))  # Phi(z)


def decide(candidate: VersionStats, baseline: VersionStats, margins: GateMargins) -> GateResult:
    short = [s for s in (candidate, baseline) if s.finished < margins.min_sessions]
    if short:
        names = ", ".join(f"{s.version}: {s.finished} finished sessions" for s in short)
        return GateResult("not enough data", reason=f"need at least {margins.min_sessions} finished sessions per version ({names})")
    z, p_value = success_drop_p_value(candidate, baseline, margins.success)
    drop = (baseline.success_rate or 0.0) - (candidate.success_rate or 0.0)
    checks: list[dict[str, Any]] = [{
        "check": "success_rate", "candidate": candidate.success_rate, "baseline": baseline.success_rate,
        "limit": f"drop <= {margins.success:g} unless not significant", "z": z, "p_value": p_value,
        "passed": not (drop > margins.success and p_value < margins.alpha),
    }]
    for name, cand, base, margin in (("latency_p95_ms", candidate.latency_p95_ms, baseline.latency_p95_ms, margins.latency),
                                     ("cost_per_session_p95_usd", candidate.cost_p95_usd, baseline.cost_p95_usd, margins.cost)):
        limit = None if base is None else base * (1 + margin)
        checks.append({"check": name, "candidate": cand, "baseline": base, "limit": limit,
                       "passed": cand is None or limit is None or cand <= limit})
    verdict = "pass" if all(check["passed"] for check in checks) else "fail"
    failed = [str(check["check"]) for check in checks if not check["passed"]]
    return GateResult(verdict, checks, reason="failed: " + ", ".join(failed) if failed else "all checks passed")


def stats_from_metrics(group: dict | None, version: str) -> VersionStats:
    """A version's stats from one group of jobs.metrics.agent_metrics (by='version')."""
    group = group or {}
    return VersionStats(version=version, finished=int(group.get("finished", 0)),
                        resolved=int((group.get("outcomes") or {}).get("resolved", 0)),
                        latency_p95_ms=(group.get("session_latency_ms") or {}).get("p95"),
                        cost_p95_usd=(group.get("cost_per_session_usd") or {}).get("p95"))
