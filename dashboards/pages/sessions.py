"""Sessions: search and filter the view's sessions (outcome, user, session id, cost range on top of the
global agent, version, environment and time filters), sorted by any column; each row opens its session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from dash import html

from dashboards import components as ui
from dashboards.filters import View
from dashboards.sessions_data import OUTCOMES, SEARCH_LIMIT, SORTABLE, SessionSearch, search_sessions

PATH = "/sessions"
NAME = "Sessions"


def render(context: Any, view: View) -> Any:
    search = SessionSearch.from_view(view)
    found = search_sessions(context.store, view, search)
    matches = int(found.get_column("matches")[0]) if found.height else 0
    controls = html.Div([
        ui.select("outcome", "Outcome", OUTCOMES, search.outcome or None, placeholder="any outcome"),
        ui.text_input("user", "User contains", search.user),
        ui.text_input("q", "Session id contains", search.session),
        ui.text_input("min_cost", "Cost at least (USD)", view.get("min_cost"), "0", kind="number"),
        ui.text_input("max_cost", "Cost at most (USD)", view.get("max_cost"), "", kind="number"),
    ], className="filters inline")

    def sort_href(key: str) -> str:
        order = "asc" if key == search.sort and search.descending else "desc"
        return PATH + view.query({"sort": key, "order": order})

    arrow = " ↓" if search.descending else " ↑"
    labels = {"first_start": "Started", "session_id": "Session", "agent_name": "Agent", "environment": "Env", "user_id": "User",
              "outcome": "Outcome", "duration_ms": "Duration", "cost_usd": "Cost", "tokens": "Tokens", "steps": "Steps",
              "error_spans": "Errors"}
    formats: dict[str, Callable[[Any], str]] = {"first_start": ui.when, "duration_ms": ui.ms, "cost_usd": ui.usd, "user_id": ui.plain, "agent_name": str}
    columns = [ui.Column(key, label + (arrow if key == search.sort else ""), formats.get(key, ui.count if key in _COUNTS else str),
                         link=(lambda row: ui.session_href(view, row["session_id"])) if key == "session_id" else None,
                         numeric=key in _COUNTS or key in ("duration_ms", "cost_usd"))
               for key, label in labels.items()]
    found = found.with_columns(pl.concat_str("agent_name", pl.lit(" "), "agent_version").alias("agent_name")) if found.height else found
    shown = f"{matches:,} matching sessions" + (f", the first {SEARCH_LIMIT} shown" if matches > SEARCH_LIMIT else "")
    body = (ui.table(found, columns, "sessions-table", sort_href=sort_href, sortable=SORTABLE, row_key="session_id")
            if found.height else ui.notice("No session matches these filters."))
    return ui.page("Sessions", controls, ui.section(shown, body),
                   subtitle=f"{view.since:%Y-%m-%d %H:%M} – {view.until:%Y-%m-%d %H:%M} UTC · click a header to sort")


_COUNTS = ("tokens", "steps", "error_spans")
