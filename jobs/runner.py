"""JobRunner: the one door to the jobs, for the scheduler, the JSON API and the CLI alike.

Holds one lock so passes never interleave within a process (chDB serialises statements anyway; the lock
keeps a pass's read-compute-write steps together). Watermarks are on the ClickHouse clock.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import polars as pl

from jobs.rollups import TenantHour, agent_rollups, dirty_minutes, group_hours, hours_from, run_rollup_pass
from jobs.session_rules import TOMBSTONE_OFFSET
from jobs.sessions import SessionPassResult, SessionScope, run_session_pass
from jobs.time_ranges import EPOCH, param
from jobs.weekly_review import run_weekly_review
from spanledger.settings import Settings

log = logging.getLogger(__name__)

SESSIONS, ROLLUPS = "sessions", "rollups"


class JobRunner:
    def __init__(self, store: Any, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._lock = threading.Lock()
        # Session pass versions whose hours this runner has rolled up: the late window re-reads only
        # what other processes wrote, not what it just handled itself.
        self._rolled: list[dt.datetime] = []

    def now(self) -> dt.datetime:
        return self.store.frame("jobs_now").item()

    def _visible_from(self, started: dt.datetime) -> dt.datetime:
        """The sessions watermark of a pass that starts now: spans of a load still running may carry an ingested_at
        from before `started`, yet are not visible to the pass, so the next one reads from the start of the oldest.
        The late window is for loads this process cannot see (another spanledger on the same ClickHouse server)."""
        return started - dt.timedelta(seconds=self.store.oldest_write_seconds())

    def span_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        first, last = self.store.frame("jobs_span_time_range").row(0)
        return first, last

    def incremental_pass(self) -> dict[str, Any]:
        """Sessions touched since the last pass, then the rollups of the hours they changed."""
        with self._lock:
            late = dt.timedelta(seconds=self.settings.jobs_late_window_seconds)
            started = self.now()
            visible_from = self._visible_from(started)
            mark = self._watermark(SESSIONS)
            began = time.monotonic()
            if mark is None:
                sessions = self._all_sessions(started).sessions
            else:
                sessions = run_session_pass(self.store, self.settings, SessionScope.touched_since(mark - late), started).sessions
            self._set_watermark(SESSIONS, visible_from)
            session_seconds, began = time.monotonic() - began, time.monotonic()
            rollup_started = self.now()
            rollup_mark = self._watermark(ROLLUPS)
            since = rollup_mark - late if rollup_mark is not None else EPOCH
            self._rolled = [version for version in self._rolled if version >= since]
            minutes = dirty_minutes(self.store.frame("jobs_rollup_dirty_hours", {
                "since": param(since), "rolled": json.dumps([param(version) for version in self._rolled])}))
            hours = list(minutes)
            self._rollup_hours(hours, rollup_started, minutes=minutes)
            self._set_watermark(ROLLUPS, rollup_started)
            self._rolled += [started, started - TOMBSTONE_OFFSET]
            return {"job": "pass", "sessions": sessions, "hours": len(hours),
                    "session_seconds": round(session_seconds, 3), "rollup_seconds": round(time.monotonic() - began, 3)}

    def full_recompute(self) -> dict[str, Any]:
        """Every session the spans table holds, then every hour that has sessions or rollups."""
        with self._lock:
            started = self.now()
            visible_from = self._visible_from(started)
            # The hourly session rollups of every live session are computed while ClickHouse writes the sessions.
            written = self._all_sessions(started, beside_write=lambda live: agent_rollups(live, self.settings))
            self._set_watermark(SESSIONS, visible_from)
            first, last = self.span_range()
            hours = 0
            if first is not None and last is not None:
                rollup_started = self.now()
                found = hours_from(self.store.frame("jobs_rollup_range_hours", {
                    "since": param(first), "until": param(last + dt.timedelta(hours=1))}))
                # The pass has every live session of the range in hand: the rollups need not read them back.
                self._rollup_hours(found, rollup_started, whole=True, sessions=written.live, agent_rows=written.beside)
                self._set_watermark(ROLLUPS, rollup_started)
                self._rolled += [started, started - TOMBSTONE_OFFSET]
                hours = len(found)
            return {"job": "full", "sessions": written.sessions, "hours": hours}

    def sessions_chunk(self, since: dt.datetime, until: dt.datetime, first_chunk: bool, last_chunk: bool) -> dict[str, Any]:
        """Backfill step: the sessions with spans starting in [since, until) (call chunks in order)."""
        with self._lock:
            lookback = dt.timedelta(hours=self.settings.jobs_session_lookback_hours) if first_chunk else dt.timedelta(0)
            scope = SessionScope.started_in(since, until, lookback, last_chunk)
            result = run_session_pass(self.store, self.settings, scope, self.now())
            return {"job": "sessions", "since": param(since), "until": param(until), "sessions": result.sessions}

    def rollups_range(self, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
        """Backfill step: the rollups of every hour overlapping [since, until)."""
        with self._lock:
            started = self.now()
            hours = hours_from(self.store.frame("jobs_rollup_range_hours", {"since": param(since), "until": param(until)}))
            self._rollup_hours(hours, started)
            return {"job": "rollups", "since": param(since), "until": param(until), "hours": len(hours)}

    def weekly_review(self, week: str) -> dict[str, Any]:
        with self._lock:
            rows = run_weekly_review(self.store, self.settings, week, self.now())
            return {"job": "weekly-review", "week": week, "rows": rows}

    def _all_sessions(self, started: dt.datetime, beside_write: Callable[[pl.DataFrame], Any] | None = None) -> SessionPassResult:
        first, last = self.span_range()
        if first is None or last is None:
            return SessionPassResult()
        return run_session_pass(self.store, self.settings, SessionScope.all_spans(first, last), started, beside_write)

    def _rollup_hours(self, hours: list[TenantHour], started: dt.datetime, whole: bool = False,
                      sessions: pl.DataFrame | None = None, agent_rows: pl.DataFrame | None = None,
                      minutes: dict[TenantHour, list[int]] | None = None) -> None:
        # Incremental passes group far-apart dirty hours (a late span from last week) so each group reads
        # spans from its own hours on; a full recompute reads them all once.
        for group in [hours] if whole else group_hours(hours, self.settings.jobs_backfill_chunk_hours):
            run_rollup_pass(self.store, self.settings, group, started, sessions, agent_rows, minutes)

    def _watermark(self, job: str) -> dt.datetime | None:
        row = self.store.frame("jobs_watermark", {"job": job}).row(0, named=True)
        return row["watermark"] if row["runs"] else None

    def _set_watermark(self, job: str, moment: dt.datetime) -> None:
        self.store.run("jobs_set_watermark", {"job": job, "watermark": param(moment)})
