"""The job schedule inside one process: the incremental sessions + rollups pass every
jobs_interval_seconds, and the weekly review on weekly_review_cron (UTC). APScheduler runs them on its
own threads; JobRunner serialises them with API-triggered runs. A failed run is logged and the next
one covers the same ground (the watermarks only move on success). Hooks run after a successful pass
(the alert evaluation) and after the weekly review (its delivery to the alert channels).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from jobs.runner import JobRunner
from jobs.time_ranges import previous_week
from spanledger.settings import Settings

log = logging.getLogger(__name__)


class JobScheduler:
    def __init__(self, runner: JobRunner, settings: Settings, after_pass: Callable[[], Any] | None = None,
                 after_weekly: Callable[[str], Any] | None = None) -> None:
        self.runner = runner
        self.settings = settings
        self.after_pass = after_pass
        self.after_weekly = after_weekly
        self._scheduler = BackgroundScheduler(timezone=dt.UTC, job_defaults={"coalesce": True, "max_instances": 1})

    def start(self) -> None:
        # APScheduler logs every run at INFO; the passes log their own failures.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        first = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=min(5.0, self.settings.jobs_interval_seconds))
        self._scheduler.add_job(self._incremental, "interval", seconds=self.settings.jobs_interval_seconds,
                                id="incremental", next_run_time=first)
        try:
            weekly = CronTrigger.from_crontab(self.settings.weekly_review_cron, timezone=dt.UTC)
        except ValueError as exc:
            raise ValueError(f"SPANLEDGER_WEEKLY_REVIEW_CRON (weekly_review_cron): {exc}") from None
        self._scheduler.add_job(self._weekly, weekly, id="weekly-review")
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def _incremental(self) -> None:
        started = time.monotonic()
        try:
            self._pass()
        finally:
            self._rest(time.monotonic() - started)

    def _pass(self) -> None:
        try:
            summary = self.runner.incremental_pass()
            log.debug("incremental pass: %s", summary)
        except Exception:
            log.exception("incremental jobs pass failed; the next pass retries from the same watermark")
            return
        if self.after_pass is not None:
            try:
                self.after_pass()
            except Exception:
                log.exception("after-pass hook (alert evaluation) failed; the next pass runs it again")

    def _rest(self, busy: float) -> None:
        """Holds the next pass off so that passes take at most jobs_max_share of the time: a pass that took longer
        than the interval would otherwise be followed at once by another, longer one (it covers more)."""
        rest = busy * (1 / self.settings.jobs_max_share - 1)
        if rest > self.settings.jobs_interval_seconds - busy and self._scheduler.running:
            log.info("incremental pass took %.1f s; the next one starts in %.1f s (SPANLEDGER_JOBS_MAX_SHARE)", busy, rest)
            self._scheduler.modify_job("incremental", next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=rest))

    def _weekly(self) -> None:
        try:
            self.runner.incremental_pass()  # the week's last sessions first
            week = previous_week(self.runner.now())
            log.info("weekly review %s: %s", week, self.runner.weekly_review(week))
            if self.after_weekly is not None:
                self.after_weekly(week)
        except Exception:
            log.exception("weekly review failed")
