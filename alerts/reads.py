"""What the rules read, as Polars frames: per-session values from the jobs' sessions table, call errors,
today's spend and each agent's last session from the rollups. Store queries only (sql/queries/alerts_*.sql);
never spans."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from jobs.time_ranges import param

# Columns of the jobs' tables for the rules' group_by keys, and back.
COLUMNS = {"agent": "agent_name", "version": "agent_version", "environment": "environment", "segment": "segment"}


def filters(rule: Any) -> dict[str, Any]:
    """The tenant / agent / version / environment filters of a rule as query parameters."""
    out: dict[str, Any] = {}
    for key in ("tenant", "agent", "version", "environment"):
        value = getattr(rule, key, None)
        out[f"any_{key}"] = int(value is None)
        out[key] = value or ""
    return out


def session_values(store: Any, rule: Any, since: dt.datetime, until: dt.datetime) -> pl.DataFrame:
    frame = store.frame("alerts_session_values", {**filters(rule), "since": param(since), "until": param(until)})
    return _utc(frame, "first_start")


def call_errors(store: Any, rule: Any, since: dt.datetime, until: dt.datetime) -> pl.DataFrame:
    return store.frame("alerts_call_errors", {**filters(rule), "since": param(since), "until": param(until)})


def daily_spend(store: Any, rule: Any, now: dt.datetime) -> pl.DataFrame:
    day_start = dt.datetime(now.year, now.month, now.day, tzinfo=dt.UTC)
    return store.frame("alerts_daily_spend", {**filters(rule), "since": param(day_start), "until": param(now)})


def last_seen(store: Any, rule: Any, since: dt.datetime, until: dt.datetime) -> pl.DataFrame:
    return _utc(store.frame("alerts_last_seen", {**filters(rule), "since": param(since), "until": param(until)}), "last_seen")


def _utc(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    if frame.is_empty() or column not in frame.columns:
        return frame
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Datetime):
        return frame.with_columns(pl.col(column).dt.convert_time_zone("UTC") if dtype.time_zone else
                                  pl.col(column).dt.replace_time_zone("UTC"))
    return frame
