"""Rules applied to frames: one Observation per series a rule watches (breached or not). Pure: the frames
come from alerts/reads.py, figures from the jobs' own session math (jobs/rollup_math.session_figures).

A series is a rule's group (tenant + its group_by keys) or, for runaway sessions, one session. Series with
too few finished sessions for the rule are reported as not breached, with the reason in the summary.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl

from alerts.reads import COLUMNS
from alerts.rules import BUDGET_METRICS, SESSION_METRICS, NoDataRule, RunawaySessionRule, ThresholdRule
from jobs.rollup_math import session_figures


@dataclass(frozen=True)
class Observation:
    rule: str
    labels: dict[str, str]
    breached: bool
    value: float | None
    threshold: float | None
    summary: str
    link: str  # a dashboards path and query, joined to alerts_ui_url when notified
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def series_key(self) -> str:
        return series_key(self.labels)


def series_key(labels: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in labels.items())


def labels_json(labels: dict[str, str]) -> str:
    return json.dumps(labels, sort_keys=False)


def group_columns(group_by: tuple[str, ...]) -> list[str]:
    return ["tenant", *[COLUMNS[key] for key in group_by]]


def labels_of(row: dict[str, Any], group_by: tuple[str, ...]) -> dict[str, str]:
    return {"tenant": str(row["tenant"]), **{key: str(row[COLUMNS[key]]) for key in group_by}}


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    if metric.startswith("cost") or "spend" in metric:
        return f"${value:,.4f}" if abs(value) < 10 else f"${value:,.2f}"
    if metric.endswith("_rate"):
        return f"{value:.1%}"
    if metric.startswith("session_ms"):
        return f"{value / 1000:,.1f} s"
    return f"{value:,.6g}"


def where(labels: dict[str, str]) -> str:
    return " ".join(f"{key}={value}" for key, value in labels.items() if key != "tenant" or value != "default")


def overview_link(labels: dict[str, str], range_: str = "24h") -> str:
    query = {"range": range_, "tenant": labels.get("tenant"), "agent": labels.get("agent"), "version": labels.get("version"),
             "env": labels.get("environment")}
    return "/?" + urlencode({key: value for key, value in query.items() if value})


def session_link(tenant: str, session_id: str) -> str:
    return f"/sessions/{quote(session_id, safe='')}" + (f"?tenant={quote(tenant)}" if tenant != "default" else "")


def _range_name(window: dt.timedelta) -> str:
    hours = window.total_seconds() / 3600
    return next((name for name, limit in (("1h", 1), ("6h", 6), ("24h", 24), ("7d", 168)) if hours <= limit), "30d")


def threshold_observations(rule: ThresholdRule, sessions: pl.DataFrame, calls: pl.DataFrame,
                           spend: pl.DataFrame, budgets: pl.DataFrame) -> list[Observation]:
    """One observation per group of the rule's window; metric from the sessions, calls or today's spend.
    budgets: jobs/budgets.load_budgets (agent_name, budget_cost_p95_usd, ...), for `above: budget`."""
    columns = group_columns(rule.group_by)
    if rule.metric in SESSION_METRICS:
        frame = session_figures(sessions, columns) if sessions.height else pl.DataFrame()
        if rule.above == "budget" and frame.height:
            frame = frame.join(budgets, on="agent_name", how="left")
        support = "finished"
    elif rule.metric == "daily_spend_usd":
        frame = spend.group_by(columns).agg(pl.col("daily_spend_usd").sum(), pl.col("budget_daily_spend_usd").max()) \
            if spend.height else pl.DataFrame()
        support = ""
    else:
        kind = "tool" if rule.metric == "tool_error_rate" else "model"
        chosen = calls.filter(pl.col("kind") == kind) if calls.height else calls
        frame = (chosen.group_by(columns).agg(pl.col("calls").sum(), pl.col("errors").sum())
                 .with_columns((pl.col("errors") / pl.col("calls")).alias(rule.metric))) if chosen.height else pl.DataFrame()
        support = "calls"
    out = []
    for row in frame.iter_rows(named=True):
        labels = labels_of(row, rule.group_by)
        value = row.get(rule.metric)
        threshold = row.get(BUDGET_METRICS[rule.metric]) if rule.above == "budget" else (
            rule.above if rule.above is not None else rule.below)
        count = int(row[support]) if support else None
        where_text = where(labels)
        if threshold is None:
            summary, breached = f"{rule.metric} of {where_text}: no budget set", False
        elif value is None or (count is not None and count < rule.min_sessions):
            summary, breached = f"{rule.metric} of {where_text}: not enough data ({count or 0} {support or 'rows'}, need {rule.min_sessions})", False
        else:
            breached = value > threshold if rule.above is not None else value < threshold
            sign = (">" if breached else "<=") if rule.above is not None else ("<" if breached else ">=")
            scope = "today (UTC)" if rule.metric == "daily_spend_usd" else f"over {_human(rule.window)}"
            extra = f" ({count:,} {support})" if count is not None else ""
            summary = f"{rule.metric} {fmt(rule.metric, value)} {sign} {fmt(rule.metric, threshold)} for {where_text} {scope}{extra}"
        details = {"metric": rule.metric, "value": value, "threshold": threshold, "window": _human(rule.window),
                   **({support: count} if support and count is not None else {})}
        out.append(Observation(rule.name, labels, bool(breached), _float(value), _float(threshold), summary,
                               overview_link(labels, _range_name(rule.window)), details))
    return out


def no_data_observations(rule: NoDataRule, seen: pl.DataFrame, now: dt.datetime) -> list[Observation]:
    """One observation per agent (and environment) that started a session within the lookback."""
    if seen.is_empty():
        return []
    columns = group_columns(rule.group_by)
    grouped = seen.group_by(columns).agg(pl.col("last_seen").max(), pl.col("session_count").sum())
    out = []
    for row in grouped.iter_rows(named=True):
        labels = labels_of(row, rule.group_by)
        silent = now - row["last_seen"]
        breached = silent >= rule.silent_for
        minutes = max(silent.total_seconds(), 0.0) / 60
        summary = (f"no sessions from {where(labels)} for {_human(silent)} (last at {row['last_seen']:%Y-%m-%d %H:%M} UTC; "
                   f"silent_for {_human(rule.silent_for)})" if breached else
                   f"{where(labels)} last started a session {_human(silent)} ago")
        out.append(Observation(rule.name, labels, breached, minutes, rule.silent_for.total_seconds() / 60, summary,
                               overview_link(labels), {"last_seen": row["last_seen"].isoformat(), "silent_minutes": round(minutes, 1)}))
    return out


def runaway_observations(rule: RunawaySessionRule, sessions: pl.DataFrame, now: dt.datetime) -> list[Observation]:
    """Only the sessions over a limit: every other session is simply not a series."""
    if sessions.is_empty():
        return []
    recent = sessions.filter(pl.col("first_start") >= now - rule.window)
    baseline = (sessions.filter((pl.col("finished") == 1) & (pl.col("first_start") >= now - rule.baseline_window))
                .group_by("tenant", "agent_name").agg(pl.col("cost_usd").median().alias("median_cost"), pl.len().alias("baseline_sessions")))
    recent = recent.join(baseline, on=["tenant", "agent_name"], how="left").with_columns(
        (pl.col("model_calls") + pl.col("tool_calls")).alias("steps"))
    out = []
    for row in recent.iter_rows(named=True):
        reasons = []
        if rule.max_steps is not None and row["steps"] > rule.max_steps:
            reasons.append(f"{row['steps']} steps > {rule.max_steps}")
        if rule.max_cost_usd is not None and row["cost_usd"] > rule.max_cost_usd:
            reasons.append(f"cost {fmt('cost', row['cost_usd'])} > {fmt('cost', rule.max_cost_usd)}")
        median, enough = row["median_cost"], (row["baseline_sessions"] or 0) >= rule.min_baseline_sessions
        if rule.max_cost_multiple is not None and enough and median and row["cost_usd"] > rule.max_cost_multiple * median:
            reasons.append(f"cost {fmt('cost', row['cost_usd'])} = {row['cost_usd'] / median:.1f}x the median {fmt('cost', median)}")
        if not reasons:
            continue
        labels = {"tenant": row["tenant"], "agent": row["agent_name"], "session_id": row["session_id"]}
        state = "finished" if row["finished"] else "still running"
        summary = f"runaway session {row['session_id']} of {row['agent_name']} {row['agent_version']} ({state}): " + "; ".join(reasons)
        details = {"session_id": row["session_id"], "agent_version": row["agent_version"], "environment": row["environment"],
                   "steps": row["steps"], "cost_usd": row["cost_usd"], "median_cost_usd": median,
                   "started": row["first_start"].isoformat(), "outcome": row["outcome"], "reasons": reasons}
        out.append(Observation(rule.name, labels, True, float(row["cost_usd"]), rule.max_cost_usd, summary,
                               session_link(row["tenant"], row["session_id"]), details))
    return out


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0 or seconds >= size * 10:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
