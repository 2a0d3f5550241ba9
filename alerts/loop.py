"""The outbox's delivery thread: sends what is due every alerts_delivery_interval_seconds, so retries do not
wait for the next rollup pass. Runs only where the scheduler runs (one sender per deployment)."""

from __future__ import annotations

import logging
import threading

from alerts.engine import AlertEngine

log = logging.getLogger(__name__)


class DeliveryLoop:
    def __init__(self, engine: AlertEngine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-delivery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.engine.deliver()
            except Exception:  # keep running: the rows stay pending and the next round retries them
                log.exception("alert delivery round failed")
