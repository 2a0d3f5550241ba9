"""What the sessions, session and weekly review pages show, as Polars frames. Searches read the jobs'
`sessions` table and the stored weekly review; only a session's own page reads spans, by session id
within that session's first start and last end.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboards.filters import View
from jobs.time_ranges import iso_week, param

SORTABLE = ("first_start", "duration_ms", "cost_usd", "spans", "steps", "error_spans", "tokens", "agent_name", "agent_version",
            "environment", "user_id", "outcome", "session_id")
OUTCOMES = ("resolved", "escalated", "failed", "abandoned", "running")
SEARCH_LIMIT = 50
REVIEW_SIZE = 10


@dataclass(frozen=True)
class SessionSearch:
    """The sessions page's own filters and sort, on top of the view's."""

    outcome: str = ""
    user: str = ""
    session: str = ""
    min_cost: float | None = None
    max_cost: float | None = None
    sort: str = "first_start"
    descending: bool = True

    @classmethod
    def from_view(cls, view: View) -> SessionSearch:
        return cls(outcome=view.get("outcome") if view.get("outcome") in OUTCOMES else "",
                   user=view.get("user"), session=view.get("q"),
                   min_cost=_number(view.get("min_cost")), max_cost=_number(view.get("max_cost")),
                   sort=view.get("sort") if view.get("sort") in SORTABLE else "first_start",
                   descending=view.get("order", "desc") != "asc")


def search_sessions(store: Any, view: View, search: SessionSearch, limit: int = SEARCH_LIMIT) -> pl.DataFrame:
    """The view's sessions matching search, sorted, at most limit; column matches counts every match."""
    if search.sort not in SORTABLE:  # the sort column reaches SQL as an identifier: allowlisted only
        raise ValueError(f"cannot sort sessions by {search.sort!r}")
    return store.frame("ui_sessions_search", {
        **view.params(), "outcome": search.outcome, "user": search.user, "session": search.session,
        "min_cost": search.min_cost if search.min_cost is not None else -1.0,
        "max_cost": search.max_cost if search.max_cost is not None else 1e18,
        "sort": search.sort, "descending": int(search.descending), "limit": limit})


def session_row(store: Any, tenant: str, session_id: str) -> dict[str, Any] | None:
    frame = store.frame("ui_session", {"tenant": tenant, "session": session_id})
    return frame.row(0, named=True) if frame.height else None


def session_spans(store: Any, tenant: str, session_id: str, session: dict[str, Any] | None, retention_days: int) -> pl.DataFrame:
    """Every span of the session. Without its sessions row (not computed yet) it looks back over the retention."""
    if session is not None:
        since, until = session["first_start"], session["last_end"]
    else:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        since = until - dt.timedelta(days=retention_days + 1)
    return store.frame("ui_session_spans", {"tenant": tenant, "session": session_id, "since": param(since), "until": param(until)})


def weeks_back(now: dt.datetime, count: int = 12) -> list[str]:
    """The ISO week of now and the count - 1 weeks before it, newest first."""
    names = []
    for back in range(count):
        year, week, _ = (now - dt.timedelta(weeks=back)).isocalendar()
        names.append(f"{year}-W{week:02d}")
    return names


def weekly_review(store: Any, tenant: str, week: str, agent: str | None) -> tuple[pl.DataFrame, bool]:
    """The top sessions of an ISO week (tenant-wide, or of one agent) and whether they are the stored review;
    a week the review job has not stored yet (the week in progress) is ranked live from `sessions`."""
    stored = store.frame("ui_weekly_review", {"tenant": tenant, "week": week, "scope": agent or ""})
    if stored.height:
        return stored.rename({"session_agent": "agent_name"}), True
    start, end = iso_week(week)
    live = store.frame("ui_weekly_live", {"tenant": tenant, "week_start": param(start), "week_end": param(end),
                                          "any_agent": int(agent is None), "agent": agent or "", "size": REVIEW_SIZE})
    return live, False


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
