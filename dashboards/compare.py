"""Version comparison for the versions page: an agent's candidate version against its baseline.

The figures are the jobs' own (jobs.metrics.agent_metrics, by version) and the verdict is the gate's
(jobs.gate.decide with the gate settings), so the page says what `spanledger gate` says. What it adds is a
significance statement for every metric, for the sample sizes at hand:
- rates (success, failure, handoff, model and tool call errors): two-sided two-proportion z-test, pooled;
- means (cost, tokens per session): two-sided Welch z-test on the per-session values;
- percentiles (session latency, cost per session): distribution-free 95% confidence intervals of each
  version's percentile from order statistics; significant when the two intervals do not overlap (a
  conservative test: too few sessions leave an interval open-ended, and then nothing is significant).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboards.filters import View
from jobs.gate import GateMargins, GateResult, decide, stats_from_metrics
from jobs.metrics import MetricsQuery, agent_metrics, session_rows
from jobs.percentiles import rank_of
from spanledger.settings import Settings

Z95 = 1.959963984540054


@dataclass
class Comparison:
    agent: str
    versions: list[str]  # the agent's versions in the range, most finished sessions first
    baseline: str
    candidate: str
    gate: GateResult
    rows: pl.DataFrame  # metric, baseline, candidate, delta, relative, test, p_value, significant, fmt


def compare_versions(store: Any, settings: Settings, view: View, baseline: str | None, candidate: str | None) -> Comparison | None:
    """The comparison of view.agent's candidate against its baseline (by default the two versions with the
    most finished sessions, the larger being the baseline); None without an agent or with fewer than two versions."""
    if view.agent is None:
        return None
    query = MetricsQuery(agent=view.agent, since=view.since, until=view.until, by="version", tenant=view.tenant,
                         environment=view.environment)
    sessions = session_rows(store, query)  # read once: the figures and the distributions both come from them
    metrics = agent_metrics(store, query, sessions)
    groups = {group["key"]: group for group in metrics["groups"]}
    versions = sorted(groups, key=lambda key: (-groups[key]["finished"], key))
    if len(versions) < 2:
        return None
    base = baseline if baseline is not None and baseline in groups else versions[0]
    cand = candidate if candidate is not None and candidate in groups and candidate != base else next(v for v in versions if v != base)
    margins = GateMargins(success=settings.gate_success_margin, latency=settings.gate_latency_margin,
                          cost=settings.gate_cost_margin, alpha=settings.gate_alpha, min_sessions=settings.gate_min_sessions)
    gate = decide(stats_from_metrics(groups[cand], cand), stats_from_metrics(groups[base], base), margins)
    values = sessions.filter(pl.col("finished") == 1)
    rows = metric_rows(groups[base], groups[cand], values.filter(pl.col("agent_version") == base),
                       values.filter(pl.col("agent_version") == cand), settings.gate_alpha)
    return Comparison(view.agent, versions, base, cand, gate, rows)


def metric_rows(base: dict[str, Any], cand: dict[str, Any], base_sessions: pl.DataFrame, cand_sessions: pl.DataFrame,
                alpha: float) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []

    def add(metric: str, fmt: str, b: Any, c: Any, test: str = "", p_value: float | None = None,
            significant: bool | None = None) -> None:
        delta = None if b is None or c is None else c - b
        relative = None if delta is None or not b else delta / abs(b)
        if p_value is not None and significant is None:
            significant = p_value < alpha
        rows.append({"metric": metric, "fmt": fmt, "baseline": _f(b), "candidate": _f(c), "delta": _f(delta),
                     "relative": _f(relative), "test": test, "p_value": p_value, "significant": significant})

    add("finished sessions", "count", base["finished"], cand["finished"])
    for name, outcome in (("success rate", "resolved"), ("failure rate", "failed"), ("handoff rate", "escalated")):
        b, c = base["outcomes"][outcome], cand["outcomes"][outcome]
        add(name, "pct", _rate(b, base["finished"]), _rate(c, cand["finished"]), "z-test",
            two_proportion_p(b, base["finished"], c, cand["finished"]))
    for p in (50, 95, 99):
        _quantile_row(add, f"session latency p{p}", "ms", base_sessions, cand_sessions, pl.col("duration_ns") / 1e6, p)
    add("cost per session (mean)", "usd", base["cost_per_session_usd"]["mean"], cand["cost_per_session_usd"]["mean"], "Welch",
        welch_p(base_sessions.get_column("cost_usd"), cand_sessions.get_column("cost_usd")))
    for p in (50, 95, 99):
        _quantile_row(add, f"cost per session p{p}", "usd", base_sessions, cand_sessions, pl.col("cost_usd"), p)
    tokens = pl.col("input_tokens") + pl.col("output_tokens")
    b_tokens, c_tokens = base_sessions.select(tokens).to_series(), cand_sessions.select(tokens).to_series()
    add("tokens per session (mean)", "count", b_tokens.mean() if b_tokens.len() else None,
        c_tokens.mean() if c_tokens.len() else None, "Welch", welch_p(b_tokens, c_tokens))
    add("spend", "usd", base["spend_usd"], cand["spend_usd"])
    for label, kind in (("model call", "model_calls"), ("tool call", "tool_calls")):
        b, c = base[kind], cand[kind]
        add(f"{label} error rate", "pct", b["error_rate"], c["error_rate"], "z-test",
            two_proportion_p(b["errors"], b["calls"], c["errors"], c["calls"]))
        add(f"{label} latency p95", "ms", b["latency_ms"]["p95"], c["latency_ms"]["p95"])
    return pl.DataFrame(rows, schema={"metric": pl.String, "fmt": pl.String, "baseline": pl.Float64, "candidate": pl.Float64,
                                      "delta": pl.Float64, "relative": pl.Float64, "test": pl.String, "p_value": pl.Float64,
                                      "significant": pl.Boolean})


def _quantile_row(add: Any, metric: str, fmt: str, base: pl.DataFrame, cand: pl.DataFrame, value: pl.Expr, p: int) -> None:
    # Sorted in Polars and read by position: only the few order statistics needed become Python values.
    b_values = base.select(value).to_series().sort()
    c_values = cand.select(value).to_series().sort()
    disjoint = intervals_disjoint(quantile_interval(b_values, p), quantile_interval(c_values, p))
    add(metric, fmt, b_values[rank_of(p, len(b_values)) - 1] if len(b_values) else None,
        c_values[rank_of(p, len(c_values)) - 1] if len(c_values) else None, "95% CIs", None, disjoint)


def two_proportion_p(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float | None:
    """Two-sided p-value of a difference between two proportions (pooled z-test); None without data."""
    if n_a == 0 or n_b == 0:
        return None
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 1.0
    z = (successes_b / n_b - successes_a / n_a) / se
    return math.erfc(abs(z) / math.sqrt(2))


def welch_p(a: pl.Series, b: pl.Series) -> float | None:
    """Two-sided p-value of a difference between two means (Welch's statistic, normal approximation)."""
    if a.len() < 2 or b.len() < 2:
        return None
    var = float(a.var()) / a.len() + float(b.var()) / b.len()  # type: ignore[arg-type]
    if var == 0:
        return 1.0 if a.mean() == b.mean() else 0.0
    z = (float(b.mean()) - float(a.mean())) / math.sqrt(var)  # type: ignore[arg-type]
    return math.erfc(abs(z) / math.sqrt(2))


def quantile_interval(ordered: Sequence[float] | pl.Series, p: int, alpha: float = 0.05) -> tuple[float | None, float | None] | None:
    """A distribution-free (1 - alpha) confidence interval of the p-th percentile of sorted values, from order
    statistics: [x_(l), x_(u)] with P(l <= B < u) >= 1 - alpha for B ~ Binomial(n, p/100), the count of values
    below the percentile. A bound the sample cannot give (too few values) is None: unbounded. Exact binomial
    ranks for small samples, the normal approximation once n·q·(1 − q) >= 10."""
    n = len(ordered)
    if n == 0:
        return None
    q = p / 100
    if n * q * (1 - q) >= 10:
        spread = Z95 * math.sqrt(n * q * (1 - q))
        low, high = math.floor(n * q - spread), math.ceil(n * q + spread) + 1
    else:
        cdf, below = [], 0.0
        for k in range(n + 1):  # cdf[k] = P(B <= k)
            below += math.comb(n, k) * q ** k * (1 - q) ** (n - k)
            cdf.append(below)
        low = max((k for k in range(1, n + 1) if cdf[k - 1] <= alpha / 2), default=0)
        high = min((k for k in range(1, n + 1) if cdf[k - 1] >= 1 - alpha / 2), default=n + 1)
    return (ordered[low - 1] if low >= 1 else None), (ordered[high - 1] if high <= n else None)


def intervals_disjoint(a: tuple[float | None, float | None] | None, b: tuple[float | None, float | None] | None) -> bool | None:
    """Whether two intervals (None bounds: unbounded) do not overlap; None when either is missing."""
    if a is None or b is None:
        return None
    return (a[1] is not None and b[0] is not None and a[1] < b[0]) or (b[1] is not None and a[0] is not None and b[1] < a[0])


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _f(value: Any) -> float | None:
    return None if value is None else float(value)
