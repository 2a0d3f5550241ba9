"""The weekly review: the most expensive sessions of an ISO week, per tenant and per agent, stored as
reported (weekly_top_sessions) so any past week reads back the same.

Each session comes with its cost, tokens, model mix (per model: calls, tokens, cost), steps (model calls
+ tool calls), duration, outcome, user and its 3 costliest spans (among the spans its cost is summed
from). Ranking: cost descending, then session id. A session belongs to the week it started in.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl

from jobs.time_ranges import iso_week, param
from spanledger.settings import Settings

ROW_COLUMNS = ["tenant", "week", "agent_name", "rank", "session_id", "session_agent", "agent_version", "environment",
               "user_id", "outcome", "first_start", "duration_ns", "cost_usd", "input_tokens", "output_tokens",
               "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "spans", "steps", "model_calls",
               "tool_calls", "unpriced_spans", "model_mix", "top_spans", "computed_at"]


def run_weekly_review(store: Any, settings: Settings, week: str, now: dt.datetime) -> int:
    """Computes and stores the review of week ('2026-W47'); returns the rows stored."""
    start, end = iso_week(week)
    ranked = store.frame("jobs_weekly_top_sessions", {"week_start": param(start), "week_end": param(end),
                                                      "size": settings.weekly_review_size})
    rows = review_rows(store, ranked, week, now)
    store.insert_frame("jobs_insert_weekly_top_sessions", rows)
    store.run("jobs_tombstone_weekly_top_sessions", {"week": week, "computed_at": param(now)})
    return rows.height


def review_rows(store: Any, ranked: pl.DataFrame, week: str, now: dt.datetime) -> pl.DataFrame:
    if ranked.is_empty():
        return pl.DataFrame()
    chosen = ranked.unique(["tenant", "session_id"])
    details = store.frame("jobs_weekly_session_spans", {
        "sessions": json.dumps([[t, s, int(c)] for t, s, c in chosen.select("tenant", "session_id", "agent_usage_counted").iter_rows()]),
        "from": param(chosen.get_column("first_start").min()),  # type: ignore[arg-type]
        "to": param(chosen.get_column("last_end").max())})  # type: ignore[arg-type]
    mix = _json_lists(details.filter(pl.col("part") == "model").sort(["cost_usd", "model"], descending=[True, False]),
                      {"model": pl.col("model"), "calls": pl.col("calls"), "tokens": pl.col("tokens"), "cost_usd": pl.col("cost_usd")},
                      "model_mix")
    top = _json_lists(details.filter(pl.col("part") == "span").sort(["cost_usd", "tokens", "span_id"], descending=[True, True, False]),
                      {"span_id": pl.col("span_id"), "name": pl.col("name"), "operation": pl.col("operation"),
                       "model": pl.col("model"), "tool": pl.col("tool_name"), "cost_usd": pl.col("cost_usd"),
                       "tokens": pl.col("tokens"), "duration_ms": pl.col("duration_ns") / 1e6},
                      "top_spans")
    return (ranked.join(mix, on=["tenant", "session_id"], how="left").join(top, on=["tenant", "session_id"], how="left")
            .with_columns(pl.lit(week).alias("week"),
                          (pl.col("model_calls") + pl.col("tool_calls")).alias("steps"),
                          pl.col("model_mix").fill_null("[]"), pl.col("top_spans").fill_null("[]"),
                          pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("computed_at"))
            .select(ROW_COLUMNS))


def _json_lists(frame: pl.DataFrame, fields: dict[str, pl.Expr], name: str) -> pl.DataFrame:
    """Per (tenant, session_id), the rows of frame (in its order) as one JSON array of objects."""
    items: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in frame.select("tenant", "session_id", **fields).iter_rows(named=True):
        key = (row.pop("tenant"), row.pop("session_id"))
        items.setdefault(key, []).append(row)
    return pl.DataFrame({"tenant": [key[0] for key in items], "session_id": [key[1] for key in items],
                         name: [json.dumps(value) for value in items.values()]},
                        schema={"tenant": pl.String, "session_id": pl.String, name: pl.String})


def stored_review(store: Any, tenant: str, week: str, agent: str | None) -> list[dict[str, Any]]:
    """The stored review of week for tenant (agent None: tenant-wide), JSON-ready, best first."""
    iso_week(week)  # a clear error for a malformed week
    frame = store.frame("metrics_top_sessions", {"tenant": tenant, "week": week, "agent": agent or ""})
    rows = []
    for row in frame.iter_rows(named=True):
        row["model_mix"] = json.loads(row["model_mix"])
        row["top_spans"] = json.loads(row["top_spans"])
        row["first_start"] = row["first_start"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        row["computed_at"] = row["computed_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        rows.append(row)
    return rows
