"""Agent metrics over any range, for `spanledger metrics`, the gate, scripts and CI. Read only.

Where each figure comes from, and how exact it is:
- session figures (counts, outcome rates, session latency and cost-per-session percentiles, spend,
  tokens): the per-session values in `sessions`, through the same function as the rollups
  (jobs/rollup_math.session_figures), so percentiles over any range are exact nearest-rank values;
- model-call and tool-call latency percentiles and the tool distribution: rollup_calls histograms merged
  over the range, within 1% (jobs/percentiles.py); calls, errors and shares are exact;
- budgets and daily spend: rollup_agents (the budgets carried into each bucket).
The range [since, until) is cut to whole minutes and selects sessions by the minute they started in;
hour-aligned ranges read the 1-hour call rollups, others the 1-minute ones (same result).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from jobs.percentiles import GAMMA, PERCENTILES, histogram_percentiles, merge_histograms
from jobs.rollup_math import session_figures
from jobs.time_ranges import ceil_to, floor_to, param

BY_CHOICES = ("total", "version", "environment", "segment", "hour", "day")
_BY_COLUMN = {"version": "agent_version", "environment": "environment", "segment": "segment"}


@dataclass(frozen=True)
class MetricsQuery:
    agent: str
    since: dt.datetime
    until: dt.datetime
    by: str = "total"
    tenant: str = "default"
    version: str | None = None
    environment: str | None = None
    segment: str | None = None

    def normalized(self) -> MetricsQuery:
        if self.by not in BY_CHOICES:
            raise ValueError(f"by must be one of {', '.join(BY_CHOICES)}, not {self.by!r}")
        return MetricsQuery(self.agent, floor_to(self.since, 60), floor_to(self.until, 60), self.by, self.tenant,
                            self.version, self.environment, self.segment)

    @property
    def whole_hours(self) -> tuple[dt.datetime, dt.datetime]:
        """The whole hours inside [since, until): the call and spend rollups are read at the 1h grain there and
        at the 1m grain only at the edges (the same figures, from 60 times fewer rows). (until, until): none."""
        first, last = ceil_to(self.since, 3600), floor_to(self.until, 3600)
        return (first, last) if first < last else (self.until, self.until)

    @property
    def grain(self) -> str:
        first, last = self.whole_hours
        if first == last:
            return "1m"
        return "1h" if (first, last) == (self.since, self.until) else "1h+1m"

    def params(self) -> dict[str, Any]:
        first, last = self.whole_hours
        return {"tenant": self.tenant, "agent": self.agent, "since": param(self.since), "until": param(self.until),
                "hours_since": param(first), "hours_until": param(last),
                "any_version": int(self.version is None), "version": self.version or "",
                "any_environment": int(self.environment is None), "environment": self.environment or "",
                "any_segment": int(self.segment is None), "segment": self.segment or ""}


def session_rows(store: Any, query: MetricsQuery) -> pl.DataFrame:
    """The per-session values of the query's sessions: what its exact session percentiles come from."""
    return store.frame("metrics_sessions", query.normalized().params())


def agent_metrics(store: Any, query: MetricsQuery, sessions: pl.DataFrame | None = None) -> dict[str, Any]:
    """The figures of one agent, one entry per group of query.by, as plain JSON-ready values. sessions:
    session_rows(store, query) when the caller has read them already."""
    query = query.normalized()
    params = query.params()
    sessions = _keyed(sessions if sessions is not None else store.frame("metrics_sessions", params), query.by, "first_start")
    calls = _keyed(store.frame("metrics_rollup_calls", {**params, "gamma": GAMMA}), query.by, "bucket")
    budgets = _keyed(store.frame("metrics_rollup_budgets", params), query.by, "bucket")
    figures = {row["group_key"]: row for row in session_figures(sessions, ["group_key"]).iter_rows(named=True)} if sessions.height else {}
    call_rows = _call_figures(calls)
    budget_rows = _budget_figures(budgets, figures)
    keys = sorted(set(figures) | set(call_rows) | set(budget_rows))
    groups = [_group(key, figures.get(key), call_rows.get(key, {}), budget_rows.get(key, {})) for key in keys]
    return {"tenant": query.tenant, "agent": query.agent, "version": query.version, "environment": query.environment,
            "segment": query.segment, "since": _iso(query.since), "until": _iso(query.until), "by": query.by,
            "call_rollup_grain": query.grain, "groups": groups}


def _keyed(frame: pl.DataFrame, by: str, time_column: str) -> pl.DataFrame:
    if by == "total":
        key = pl.lit("all")
    elif by in ("hour", "day"):
        key = pl.col(time_column).dt.truncate("1h" if by == "hour" else "1d").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        key = pl.col(_BY_COLUMN[by])
    return frame.with_columns(key.alias("group_key"))


def _call_figures(calls: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Per group key: model and tool call totals with merged-histogram percentiles, and the tools."""
    if calls.is_empty():
        return {}
    by = ["group_key", "kind", "name"]
    totals = calls.group_by(by).agg(pl.col("calls").sum(), pl.col("errors").sum(), pl.col("duration_ns_sum").sum())
    merged = histogram_percentiles(merge_histograms(calls, by, "latency_hist"), "latency_hist", "ms")
    rows = totals.join(merged.drop("latency_hist"), on=by, how="left").sort(by)
    out: dict[str, dict[str, Any]] = {}
    for row in rows.iter_rows(named=True):
        entry = out.setdefault(row["group_key"], {"model": None, "tool": None, "tools": []})
        latency = {f"p{p}": row[f"ms_p{p}"] for p in PERCENTILES}
        if row["name"] == "":
            entry[row["kind"]] = {"calls": row["calls"], "errors": row["errors"],
                                  "error_rate": row["errors"] / row["calls"] if row["calls"] else None,
                                  "latency_ms": latency}
        else:
            entry["tools"].append({"tool": row["name"], "calls": row["calls"], "errors": row["errors"],
                                   "mean_ms": row["duration_ns_sum"] / row["calls"] / 1e6, "latency_ms": latency})
    for entry in out.values():
        total = sum(tool["calls"] for tool in entry["tools"])
        for tool in entry["tools"]:
            tool["share"] = tool["calls"] / total if total else None
            tool["error_rate"] = tool["errors"] / tool["calls"] if tool["calls"] else None
        entry["tools"].sort(key=lambda tool: (-tool["calls"], tool["tool"]))
    return out


def _budget_figures(rows: pl.DataFrame, figures: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per group key: the budgets its rollup rows carry and its status against them."""
    if rows.is_empty():
        return {}
    days = (rows.group_by("group_key", pl.col("bucket").dt.truncate("1d").alias("day")).agg(pl.col("spend_usd").sum())
            .group_by("group_key").agg(pl.col("spend_usd").max().alias("max_daily_spend_usd")))
    limits = rows.group_by("group_key").agg(pl.col("budget_cost_p95_usd").max(), pl.col("budget_daily_spend_usd").max())
    out = {}
    for row in limits.join(days, on="group_key").iter_rows(named=True):
        cost_p95 = (figures.get(row["group_key"]) or {}).get("cost_p95")
        out[row["group_key"]] = {
            "cost_per_session_p95_usd": row["budget_cost_p95_usd"],
            "cost_p95_status": _status(cost_p95, row["budget_cost_p95_usd"]),
            "daily_spend_usd": row["budget_daily_spend_usd"],
            "max_daily_spend_usd": row["max_daily_spend_usd"],
            "daily_spend_status": _status(row["max_daily_spend_usd"], row["budget_daily_spend_usd"]),
        }
    return out


def _status(value: float | None, limit: float | None) -> str:
    if limit is None:
        return "no budget"
    if value is None:
        return "no data"
    return "ok" if value <= limit else "over"


def _group(key: str, sessions: dict[str, Any] | None, calls: dict[str, Any], budget: dict[str, Any]) -> dict[str, Any]:
    s = sessions or {}
    return {
        "key": key,
        "sessions": s.get("sessions", 0),
        "finished": s.get("finished", 0),
        "running": s.get("running", 0),
        "outcomes": {name: s.get(name, 0) for name in ("resolved", "escalated", "failed", "abandoned")},
        "success_rate": s.get("success_rate"),
        "error_rate": s.get("error_rate"),
        "handoff_rate": s.get("handoff_rate"),
        "session_latency_ms": {f"p{p}": s.get(f"session_ms_p{p}") for p in PERCENTILES},
        "cost_per_session_usd": {"mean": s.get("cost_mean"), **{f"p{p}": s.get(f"cost_p{p}") for p in PERCENTILES},
                                 "max": s.get("cost_max")},
        "spend_usd": s.get("spend_usd", 0.0),
        "tokens": {name: s.get(f"{name}_tokens", 0) for name in ("input", "output", "cache_read", "cache_write", "reasoning")},
        "spans": s.get("spans", 0),
        "error_spans": s.get("error_spans", 0),
        "unpriced_spans": s.get("unpriced_spans", 0),
        "model_calls": calls.get("model") or {"calls": 0, "errors": 0, "error_rate": None,
                                              "latency_ms": {f"p{p}": None for p in PERCENTILES}},
        "tool_calls": calls.get("tool") or {"calls": 0, "errors": 0, "error_rate": None,
                                            "latency_ms": {f"p{p}": None for p in PERCENTILES}},
        "tools": calls.get("tools", []),
        "budget": budget or {"cost_per_session_p95_usd": None, "cost_p95_status": "no budget", "daily_spend_usd": None,
                             "max_daily_spend_usd": None, "daily_spend_status": "no budget"},
    }


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
