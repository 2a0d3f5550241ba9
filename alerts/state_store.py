"""Alert states and history in ClickHouse (alert_states, alert_history): load the current state of the
rules' series, write the states an evaluation produced and the changes among them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, fields
from typing import Any

import polars as pl

from alerts.state import SeriesState

_TIME = pl.Datetime("us", "UTC")
STATE_SCHEMA: dict[str, Any] = {
    "rule": pl.String, "series_key": pl.String, "tenant": pl.String, "agent_name": pl.String, "labels": pl.String,
    "state": pl.String, "state_since": _TIME, "pending_since": _TIME, "fired_at": _TIME, "resolved_at": _TIME,
    "value": pl.Float64, "threshold": pl.Float64, "summary": pl.String, "notified": pl.String, "last_notified_at": _TIME,
    "notifications": pl.UInt32, "evaluated_at": _TIME,
}
HISTORY_SCHEMA: dict[str, Any] = {
    "rule": pl.String, "series_key": pl.String, "tenant": pl.String, "agent_name": pl.String, "labels": pl.String,
    "from_state": pl.String, "to_state": pl.String, "value": pl.Float64, "threshold": pl.Float64, "summary": pl.String,
    "silenced": pl.UInt8, "at": _TIME,
}


def load_states(store: Any, rules: list[str]) -> dict[tuple[str, str], SeriesState]:
    frame = store.frame("alerts_states", {"rules": json.dumps(rules)})
    names = {f.name for f in fields(SeriesState)}
    out = {}
    for row in frame.iter_rows(named=True):
        values: dict[str, Any] = {key: _utc(value) if isinstance(value, dt.datetime) else value for key, value in row.items() if key in names}
        state = SeriesState(**values)
        out[(state.rule, state.series_key)] = state
    return out


def states_frame(store: Any, rules: list[str] | None = None) -> pl.DataFrame:
    """The current states as a frame (for the CLI and the dashboards)."""
    frame = store.frame("alerts_states", {"rules": json.dumps(rules or [])})
    return frame if frame.height else pl.DataFrame(schema=STATE_SCHEMA)


def save_states(store: Any, states: list[SeriesState]) -> None:
    if states:
        store.insert_frame("alerts_insert_states", pl.DataFrame([asdict(state) for state in states], schema=STATE_SCHEMA))


def record_changes(store: Any, changes: list[tuple[SeriesState, str, bool]]) -> None:
    """(new state, previous state name, silenced) of each series that changed state."""
    rows = [{"rule": s.rule, "series_key": s.series_key, "tenant": s.tenant, "agent_name": s.agent_name, "labels": s.labels,
             "from_state": previous, "to_state": s.state, "value": s.value, "threshold": s.threshold, "summary": s.summary,
             "silenced": int(silenced), "at": s.evaluated_at} for s, previous, silenced in changes]
    if rows:
        store.insert_frame("alerts_insert_history", pl.DataFrame(rows, schema=HISTORY_SCHEMA))


def history(store: Any, since: dt.datetime, rule: str | None = None, agent: str | None = None, limit: int = 200) -> pl.DataFrame:
    from jobs.time_ranges import param

    frame = store.frame("alerts_history", {"since": param(since), "any_rule": int(rule is None), "rule": rule or "",
                                           "any_agent": int(agent is None), "agent": agent or "", "limit": limit})
    return frame if frame.height else pl.DataFrame(schema=HISTORY_SCHEMA)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
