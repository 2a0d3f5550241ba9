"""The incremental pass's schedule: passes that take longer than their interval are spaced out to
jobs_max_share of the time instead of running back to back (each would cover more, and take longer)."""

from __future__ import annotations

import threading
import time

from jobs.scheduler import JobScheduler
from spanledger.settings import Settings


class SlowRunner:
    """A runner whose passes take `seconds` each; records when each began."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.began: list[float] = []
        self.lock = threading.Lock()

    def incremental_pass(self) -> dict:
        with self.lock:
            self.began.append(time.monotonic())
        time.sleep(self.seconds)
        return {"job": "pass"}


def _starts(share: float, tmp_path) -> list[float]:  # type: ignore[no-untyped-def]
    runner = SlowRunner(0.4)
    settings = Settings(data_dir=tmp_path, jobs_interval_seconds=0.1, jobs_max_share=share)
    scheduler = JobScheduler(runner, settings)  # type: ignore[arg-type]
    scheduler.start()
    time.sleep(3.0)
    scheduler.stop()
    return runner.began


def test_slow_passes_rest_to_keep_their_share(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spaced = _starts(0.5, tmp_path)  # a 0.4 s pass, then 0.4 s of rest
    gaps = [later - earlier for earlier, later in zip(spaced, spaced[1:], strict=False)]
    assert len(spaced) >= 3 and min(gaps) >= 0.75, gaps


def test_with_a_share_of_one_passes_follow_each_other(tmp_path) -> None:  # type: ignore[no-untyped-def]
    back_to_back = _starts(1.0, tmp_path)
    gaps = [later - earlier for earlier, later in zip(back_to_back, back_to_back[1:], strict=False)]
    assert len(back_to_back) >= 5 and max(gaps) < 0.7, gaps
