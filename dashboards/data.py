"""What the overview, cost and tools pages show, as Polars frames: read from the jobs' tables (sessions and
the rollups) through sql/queries/ui_*.sql, never from spans. Session figures are computed by the jobs'
own function (jobs/rollup_math.session_figures) and call latencies by the jobs' histogram merge
(jobs/percentiles.py), so every page states the same numbers as `spanledger metrics` and the gate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboards.filters import View
from jobs.percentiles import GAMMA, histogram_percentiles
from jobs.time_ranges import param

COST_BINS = 40


@dataclass(frozen=True)
class StoreState:
    has_spans: bool
    has_rollups: bool


def store_state(store: Any, tenant: str) -> StoreState:
    row = store.frame("ui_store_state", {"tenant": tenant}).row(0, named=True)
    return StoreState(has_spans=bool(row["has_spans"]), has_rollups=bool(row["has_rollups"]))


def tenants(store: Any) -> list[str]:
    return store.frame("ui_tenants").get_column("tenant").to_list()


def filter_options(store: Any, view: View) -> pl.DataFrame:
    """agent_name, agent_version, environment, sessions: what the filters offer for the view's range."""
    return store.frame("ui_filter_options", view.params())


def session_values(store: Any, view: View) -> pl.DataFrame:
    """Per-session values of the view's sessions (the input of jobs/rollup_math.session_figures)."""
    return store.frame("ui_session_values", view.params())


def overview_figures(store: Any, view: View) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The session figures per (agent, version) and per (agent, bucket of the view's grain): sessions,
    finished, resolved, success rate, p95 latency, p95 / p99 cost per session, spend, unpriced calls. Computed
    in ClickHouse, by the definitions of jobs/rollup_math.session_figures, so no per-session rows travel."""
    figures = _buckets_as_times(store.frame("ui_overview_figures", view.params())).with_columns(
        (pl.col("session_ns_p95").cast(pl.Float64) / 1e6).alias("session_ms_p95")).drop("session_ns_p95")
    versions = figures.filter(pl.col("level") == "version").drop("level", "bucket")
    buckets = figures.filter(pl.col("level") == "bucket").drop("level", "agent_version")
    return versions, buckets


def budgets_today(store: Any, view: View, now: dt.datetime) -> pl.DataFrame:
    """Per agent: spend in the current UTC day and the daily / p95 cost budgets (null when none is set)."""
    day_start = dt.datetime(now.year, now.month, now.day, tzinfo=dt.UTC)
    return store.frame("ui_budgets_today", {**view.params(), "day_start": param(day_start)})


def agent_buckets(store: Any, view: View) -> pl.DataFrame:
    """Session rollup sums per (bucket, agent, version): sessions, spend, model calls, unpriced spans. Minutes
    come from `sessions` (the session rollups are hourly)."""
    query = "ui_session_minutes" if view.grain == "1m" else "ui_agent_buckets"
    return _buckets_as_times(store.frame(query, view.params()))


def model_buckets(store: Any, view: View) -> pl.DataFrame:
    """Model-call rollup sums per (bucket, model): calls, errors, tokens, cost, unpriced calls."""
    return _buckets_as_times(store.frame("ui_model_buckets", view.params()))


def model_costs(buckets: pl.DataFrame) -> pl.DataFrame:
    """Per model over the range: calls, errors, tokens, cost, cost per call; unpriced calls flag a model without price."""
    if buckets.is_empty():
        return pl.DataFrame()
    return (buckets.group_by("model")
            .agg(pl.col("calls", "errors", "input_tokens", "output_tokens", "cost_usd", "unpriced_calls").sum())
            .with_columns((pl.col("cost_usd") / pl.col("calls")).alias("cost_per_call_usd"),
                          ((pl.col("input_tokens") + pl.col("output_tokens")) / pl.col("calls")).alias("tokens_per_call"))
            .sort(["cost_usd", "model"], descending=[True, False]))


def cost_distribution(store: Any, view: View) -> tuple[pl.DataFrame, dict[str, float | None]]:
    """The cost per finished session as a histogram on log-spaced bins (bin_start, bin_end, sessions; sessions
    that cost nothing in a bin of their own at 0) and its exact nearest-rank p50/p95/p99 (as the rollups).
    Counted in ClickHouse: only the summary and the bins travel, not a row per session."""
    summary = store.frame("ui_session_cost_summary", view.params()).row(0, named=True)
    if not summary["sessions"]:
        return pl.DataFrame(), {"p50": None, "p95": None, "p99": None}
    marks: dict[str, float | None] = {f"p{p}": float(value) for p, value in zip((50, 95, 99), summary["marks"], strict=True)}
    free = summary["free"]
    schema = {"bin_start": pl.Float64, "bin_end": pl.Float64, "sessions": pl.UInt32}
    free_bin = pl.DataFrame({"bin_start": [0.0], "bin_end": [0.0], "sessions": [free]}, schema=schema)
    if free == summary["sessions"]:  # every session cost nothing (and low, high are 0)
        return free_bin, marks
    low, high = float(summary["low"]), max(float(summary["high"]), float(summary["low"]) * 1.0001)
    counts = store.frame("ui_session_cost_bins", {**view.params(), "low": low, "high": high, "bins": COST_BINS})
    edges = [low * (high / low) ** (i / COST_BINS) for i in range(COST_BINS + 1)]
    bins = pl.DataFrame({"bin": list(range(COST_BINS)), "bin_start": edges[:-1], "bin_end": edges[1:]}, schema_overrides={"bin": pl.Int64})
    histogram = (bins.join(counts, on="bin", how="left").select("bin_start", "bin_end", pl.col("sessions").fill_null(0))
                 .cast(schema))  # type: ignore[arg-type]
    return (pl.concat([free_bin, histogram]) if free else histogram), marks


def tool_calls(store: Any, view: View) -> pl.DataFrame:
    """Per (agent, version, tool): calls, share of the version's tool calls, errors, error rate, p50/p95/p99 ms."""
    rows = store.frame("ui_tool_calls", {**view.params(), "gamma": GAMMA})
    if rows.is_empty():
        return pl.DataFrame()
    with_latency = histogram_percentiles(rows, "latency_hist", "ms").drop("latency_hist")
    return with_latency.with_columns(
        (pl.col("calls") / pl.col("calls").sum().over(["agent_name", "agent_version"])).alias("share"),
        (pl.col("errors") / pl.col("calls")).alias("error_rate"),
        (pl.col("duration_ns_sum") / pl.col("calls") / 1e6).alias("mean_ms"),
    ).sort(["agent_name", "agent_version", "calls", "tool"], descending=[False, False, True, False])


def _buckets_as_times(frame: pl.DataFrame) -> pl.DataFrame:
    """Rollup buckets are DateTime columns, which reach Arrow as seconds since the epoch: as UTC times."""
    if frame.schema.get("bucket") in (pl.UInt32, pl.Int64, pl.UInt64, pl.Int32):
        return frame.with_columns(pl.from_epoch(pl.col("bucket").cast(pl.Int64), time_unit="s").dt.replace_time_zone("UTC"))
    return frame
