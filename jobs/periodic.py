"""A background loop: step() every interval seconds on a thread of its own until stopped. A step that fails
is logged and the loop goes on; what it did not do stays due for the next step. Used by the context repair,
the model rollups and the alert delivery."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class PeriodicLoop:
    def __init__(self, name: str, interval: float, join_timeout: float = 10.0) -> None:
        self.name = name
        self.interval = interval
        self.join_timeout = join_timeout  # daemon thread: a step still running past it does not hold up the exit
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def step(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.join_timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception:  # keep running: the next step covers what this one left
                log.exception("%s failed; the next run retries", self.name)
