"""Gives spans the session, user and agent their trace named after they were stored.

A child span usually ends, and is exported, before the root that names the session and agent. The
insert path records such traces in context_gaps; this job rewrites their spans once trace_context
knows more. It never touches a span whose own attributes named the value.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


def repair_span_context(store: Any, since: dt.datetime, window: dt.timedelta) -> None:
    """Repairs traces whose context changed at or after since, among gaps noted within window."""
    now = dt.datetime.now(dt.UTC)
    store.run("repair_span_context", {"since": _text(since), "gaps_since": _text(now - window)})


class ContextRepairLoop:
    """Runs repair_span_context every interval seconds on its own thread until stopped."""

    def __init__(self, store: Any, interval: float, window: dt.timedelta) -> None:
        self.store = store
        self.interval = interval
        self.window = window
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="context-repair", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        since = dt.datetime.now(dt.UTC) - self.window
        while not self._stop.wait(self.interval):
            started = dt.datetime.now(dt.UTC)
            try:
                # Overlap one interval so a context row written during the last run is not missed.
                repair_span_context(self.store, since, self.window)
                since = started - dt.timedelta(seconds=self.interval)
            except Exception as exc:  # keep running; the next run covers the same range
                log.warning("context repair failed: %s", exc)


def _text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
