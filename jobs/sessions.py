"""The sessions job: recomputes the `sessions` rows of the sessions a pass touches.

ClickHouse aggregates each touched session's spans into one row (sql/queries/jobs_session_totals.sql);
Polars applies the session rules (jobs/session_rules.py); the rows go back as one insert. A pass is one of:
- touched since a moment (incremental): sessions with a span ingested since then, late spans, duplicates
  and context repairs included, wherever their start time lies;
- started in a range (backfill, one chunk at a time, in order);
- everything the spans table holds (full recompute).
Recomputing is idempotent: a session's row depends only on its spans (and, for 'finished', the clock).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl

from jobs.session_rules import TOMBSTONE_OFFSET, SessionRules, session_rows
from jobs.time_ranges import EPOCH, NEVER, param
from spanledger.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionScope:
    """Which sessions a pass recomputes, and where their spans can lie."""

    ingested_since: dt.datetime = NEVER
    start_from: dt.datetime = EPOCH
    start_to: dt.datetime = NEVER
    lookback: dt.timedelta = dt.timedelta(0)
    scan_to: dt.datetime = NEVER
    everything: bool = False

    @classmethod
    def touched_since(cls, moment: dt.datetime) -> SessionScope:
        return cls(ingested_since=moment)

    @classmethod
    def started_in(cls, since: dt.datetime, until: dt.datetime, lookback: dt.timedelta, last_chunk: bool) -> SessionScope:
        # A session running past the end of a chunk is computed again, whole, by the next chunk that
        # touches it; only the last chunk must read to the end of the table.
        return cls(ingested_since=EPOCH, start_from=since, start_to=until, lookback=lookback,
                   scan_to=NEVER if last_chunk else until)

    @classmethod
    def all_spans(cls, first: dt.datetime, last: dt.datetime) -> SessionScope:
        return cls(start_from=first, start_to=last + dt.timedelta(microseconds=1), everything=True)

    def params(self) -> dict[str, Any]:
        return {"ingested_since": param(self.ingested_since), "start_from": param(self.start_from),
                "start_to": param(self.start_to)}


@dataclass
class SessionPassResult:
    sessions: int = 0
    tombstones: int = 0
    live: pl.DataFrame | None = None  # with the scope everything: the live rows written, every session of the range
    beside: Any = None  # what beside_write returned


def rules_from(settings: Settings) -> SessionRules:
    return SessionRules(idle=dt.timedelta(minutes=settings.session_idle_minutes), idle_outcome=settings.session_idle_outcome)


def attribute_params(settings: Settings) -> dict[str, Any]:
    segment, outcome, handoff = (settings.session_segment_attributes, settings.session_outcome_attributes,
                                 settings.session_handoff_attributes)
    return {"segment_keys": _four_keys(segment), "outcome_keys": _four_keys(outcome), "handoff_keys": _four_keys(handoff),
            "marked_keys": sorted({*segment, *outcome, *handoff})}


def _four_keys(keys: list[str]) -> str:
    """The query looks up exactly four keys per list: the last one repeats (same lookup, same answer)."""
    return json.dumps((keys + [keys[-1] if keys else ""] * 4)[:4])


def run_session_pass(store: Any, settings: Settings, scope: SessionScope, now: dt.datetime,
                     beside_write: Callable[[pl.DataFrame], Any] | None = None) -> SessionPassResult:
    """Recomputes the sessions of scope as of now (the ClickHouse clock) and writes them with version now.
    beside_write (scope everything only): Polars work on the live rows, run in a thread while ClickHouse writes
    them (on one core); its result comes back as SessionPassResult.beside."""
    params = scope.params()
    if scope.everything:
        scan_from, scan_to = scope.start_from, scope.start_to
    else:
        bounds = store.frame("jobs_session_scan_bounds", params).row(0, named=True)
        if bounds["touched_from"] is None:
            return SessionPassResult()
        known = [moment for moment in (bounds["touched_from"], bounds["known_from"]) if moment is not None]
        scan_from, scan_to = min(known) - scope.lookback, scope.scan_to
    totals = store.frame("jobs_session_totals", {
        **params, **attribute_params(settings), "everything": int(scope.everything),
        "scan_from": param(scan_from), "scan_to": param(scan_to)})
    rows = session_rows(totals, rules_from(settings), now, now)
    live = rows.filter(pl.col("is_deleted") == 0) if scope.everything else None
    with ThreadPoolExecutor(max_workers=1) as pool:
        beside = pool.submit(beside_write, live) if beside_write is not None and live is not None else None
        store.insert_frame("jobs_insert_sessions", rows)
        if scope.everything:
            store.run("jobs_tombstone_stale_sessions", {"scan_from": param(scan_from), "scan_to": param(scan_to),
                                                        "computed_at": param(now), "tombstone_at": param(now - TOMBSTONE_OFFSET)})
    deleted = int(rows.get_column("is_deleted").sum())
    log.debug("session pass %s: %d sessions, %d tombstones", scope, rows.height - deleted, deleted)
    return SessionPassResult(sessions=rows.height - deleted, tombstones=deleted, live=live,
                             beside=beside.result() if beside is not None else None)
