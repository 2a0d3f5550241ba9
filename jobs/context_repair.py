"""Gives spans stored with a fallback session the session their trace named after they were stored.

A child span usually ends, and is exported, before the root that names the session and agent. Every load
records in trace_context (sql/0059_trace_context.sql) what each trace names and whether a span of it was
stored with a fallback; this job rewrites the spans whose session was a fallback once their trace names one
(with the user and agent it names). It never touches a span whose own attributes named its session. In a trace
where several agents name themselves, it then gives each span that names no agent its nearest agent ancestor's
(sql/queries/repair_span_agents.sql)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jobs.periodic import PeriodicLoop

OVERLAP_S = 5.0  # each run also looks at the traces touched shortly before the last one started


def repair_span_context(store: Any, since: dt.datetime, window: dt.timedelta) -> None:
    """Repairs traces whose context changed at or after since, among gaps noted within window."""
    now = dt.datetime.now(dt.UTC)
    store.repair_span_context({"since": _text(since), "gaps_since": _text(now - window)})


class ContextRepairLoop(PeriodicLoop):
    """Runs repair_span_context every interval seconds on its own thread until stopped."""

    def __init__(self, store: Any, interval: float, window: dt.timedelta) -> None:
        super().__init__("context-repair", interval)
        self.store = store
        self.window = window
        self._since = dt.datetime.now(dt.UTC) - window

    def step(self) -> None:
        started = dt.datetime.now(dt.UTC)
        repair_span_context(self.store, self._since, self.window)  # on failure the next run covers the same range
        # Overlap a little, so that a context row written while this run started is not missed; not a whole
        # interval, which would reread every trace twice.
        self._since = started - dt.timedelta(seconds=min(self.interval, OVERLAP_S))


def _text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
