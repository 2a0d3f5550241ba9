"""The outbox's delivery thread: sends what is due every alerts_delivery_interval_seconds, so retries do not
wait for the next rollup pass. Runs only where the scheduler runs (one sender per deployment)."""

from __future__ import annotations

from alerts.engine import AlertEngine
from jobs.periodic import PeriodicLoop


class DeliveryLoop(PeriodicLoop):
    def __init__(self, engine: AlertEngine, interval: float) -> None:
        super().__init__("alert-delivery", interval, join_timeout=30)
        self.engine = engine

    def step(self) -> None:
        self.engine.deliver()  # rows that fail stay pending with their backoff
