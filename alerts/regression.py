"""The regression rule: each version seen in the window against its baseline, with the gate's significance
test (jobs/gate.success_drop_p_value). Pure: session values in, observations out.

A rate (success, error, handoff) regresses when it moves the wrong way by more than the margin (absolute)
and a one-sided two-proportion z-test says the move beyond the margin is not noise. A percentile (cost or
latency p50/p95/p99) regresses when the candidate's exceeds the baseline's by more than the margin
(relative) and the share of candidate sessions above that limit is significantly larger than the
baseline's (the same test on "at or under the limit"). Both versions need min_sessions finished sessions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

import polars as pl

from alerts.observations import Observation, fmt, group_columns, labels_of, where
from alerts.rules import RegressionRule
from jobs.gate import VersionStats, success_drop_p_value
from jobs.percentiles import nearest_rank

# Rate metrics: the outcome that makes a session "bad" for the rate, and whether higher is worse.
_RATES = {"success_rate": ("resolved", False), "error_rate": ("failed", True), "handoff_rate": ("escalated", True)}


@dataclass(frozen=True)
class Comparison:
    breached: bool
    candidate: float | None
    baseline: float | None
    p_value: float | None
    reason: str


def compare(metric: str, candidate: pl.DataFrame, baseline: pl.DataFrame, margin: float, alpha: float,
            min_sessions: int) -> Comparison:
    """Candidate vs baseline finished sessions (columns outcome, cost_usd, duration_ns) on one metric."""
    n_c, n_b = candidate.height, baseline.height
    if n_c < min_sessions or n_b < min_sessions:
        return Comparison(False, None, None, None, f"not enough data: {n_c} candidate and {n_b} baseline finished "
                                                   f"sessions, need {min_sessions} each")
    if metric in _RATES:
        outcome, higher_is_worse = _RATES[metric]
        hits_c = int((candidate.get_column("outcome") == outcome).sum())
        hits_b = int((baseline.get_column("outcome") == outcome).sum())
        rate_c, rate_b = hits_c / n_c, hits_b / n_b
        good_c, good_b = (n_c - hits_c, n_b - hits_b) if higher_is_worse else (hits_c, hits_b)
        _, p = success_drop_p_value(VersionStats("c", n_c, good_c, None, None), VersionStats("b", n_b, good_b, None, None), margin)
        moved = (rate_c - rate_b) if higher_is_worse else (rate_b - rate_c)
        breached = moved > margin and p < alpha
        return Comparison(breached, rate_c, rate_b, p, f"{'+' if higher_is_worse else '-'}{abs(moved):.1%} (margin {margin:.1%}), p={p:.3g}")
    values_c, values_b = _values(metric, candidate), _values(metric, baseline)
    percentile = float(metric.rsplit("_p", 1)[1])
    p_c, p_b = nearest_rank(values_c, percentile), nearest_rank(values_b, percentile)
    assert p_c is not None and p_b is not None
    limit = p_b * (1 + margin)
    under_c, under_b = sum(v <= limit for v in values_c), sum(v <= limit for v in values_b)
    _, p = success_drop_p_value(VersionStats("c", n_c, under_c, None, None), VersionStats("b", n_b, under_b, None, None), 0.0)
    breached = p_c > limit and p < alpha
    rise = p_c / p_b - 1 if p_b else float("inf")
    return Comparison(breached, p_c, p_b, p, f"{rise:+.1%} (margin {margin:.0%}), {n_c - under_c}/{n_c} sessions over "
                                             f"{fmt(metric, limit)} vs {n_b - under_b}/{n_b}, p={p:.3g}")


def _values(metric: str, frame: pl.DataFrame) -> list[float]:
    if metric.startswith("cost"):
        return frame.get_column("cost_usd").cast(pl.Float64).to_list()
    return (frame.get_column("duration_ns").cast(pl.Float64) / 1e6).to_list()


def regression_observations(rule: RegressionRule, sessions: pl.DataFrame, now: dt.datetime) -> list[Observation]:
    """sessions: per-session values from now - window - baseline_window to now."""
    if sessions.is_empty():
        return []
    finished = sessions.filter(pl.col("finished") == 1)
    window_start = now - rule.window
    columns = group_columns(rule.group_by)
    others = [column for column in columns if column != "agent_version"]
    candidates = finished.filter(pl.col("first_start") >= window_start).select(columns).unique().sort(columns)
    out = []
    for row in candidates.iter_rows(named=True):
        scope = finished.filter(pl.all_horizontal(pl.col(column) == row[column] for column in others))
        version = row["agent_version"]
        base_version, base = _baseline(rule, scope, version, window_start, now)
        if base is None:
            continue  # nothing to compare with (the first version, or the named baseline itself)
        candidate = scope.filter((pl.col("agent_version") == version) & (pl.col("first_start") >= window_start))
        result = compare(rule.metric, candidate, base, rule.margin, rule.alpha, rule.min_sessions)
        labels = labels_of(row, rule.group_by)
        verb = "regressed" if result.breached else "holds"
        summary = (f"{rule.metric} of {where(labels)} {verb} against {base_version}: {fmt(rule.metric, result.candidate)} vs "
                   f"{fmt(rule.metric, result.baseline)}, {result.reason}")
        link = "/versions?" + urlencode({key: value for key, value in (
            ("tenant", row["tenant"]), ("agent", row["agent_name"]), ("candidate", version),
            ("baseline", base_version if base_version != "trailing 7d" else None), ("range", "7d")) if value})
        details = {"metric": rule.metric, "candidate": result.candidate, "baseline": result.baseline, "baseline_version": base_version,
                   "p_value": result.p_value, "candidate_sessions": candidate.height, "baseline_sessions": base.height,
                   "margin": rule.margin, "alpha": rule.alpha}
        out.append(Observation(rule.name, labels, result.breached, result.candidate, result.baseline, summary, link, details))
    return out


def _baseline(rule: RegressionRule, scope: pl.DataFrame, version: str, window_start: dt.datetime,
              now: dt.datetime) -> tuple[str, pl.DataFrame | None]:
    if rule.baseline == "trailing_7d":
        trailing = scope.filter((pl.col("first_start") < window_start) &
                                (pl.col("first_start") >= window_start - dt.timedelta(days=7)))
        return "trailing 7d", trailing if trailing.height else None
    recent = scope.filter(pl.col("first_start") >= now - rule.baseline_window)
    if rule.baseline == "previous":
        first_seen = scope.group_by("agent_version").agg(pl.col("first_start").min()).sort("first_start")
        order = first_seen.get_column("agent_version").to_list()
        if version not in order or order.index(version) == 0:
            return "", None
        name = order[order.index(version) - 1]
    else:
        name = rule.baseline
        if name == version:
            return "", None
    chosen = recent.filter(pl.col("agent_version") == name)
    return name, chosen if chosen.height else None
