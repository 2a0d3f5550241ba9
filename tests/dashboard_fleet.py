"""The data the dashboard tests look at: demo fleet sessions of the past 48 hours under agent names of
their own (so the shared store's other tests never show up in their filters), sent over real OTLP/gRPC,
then the jobs (sessions, rollups, weekly reviews) and the model rollups computed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from dashboards.model_rollup import run_model_rollups
from jobs.time_ranges import week_name
from spanledger.demo import DemoFleet

SESSIONS = 240
HOURS = 48


@dataclass(frozen=True)
class DashboardFleet:
    prefix: str
    sessions: int
    weeks: tuple[str, ...]

    def agent(self, name: str) -> str:
        return self.prefix + name


def send_sessions(service, prefix: str, sessions: int, hours: int, seed: int) -> int:  # type: ignore[no-untyped-def]
    """Demo fleet sessions of the past hours under agent names starting with prefix; stored once this returns."""
    fleet = DemoFleet(f"http://127.0.0.1:{service.grpc_port}", 1.0, seed=seed, name_prefix=prefix,
                      backfill_hours=hours, backfill_sessions=0)
    sent = fleet.backfill(hours, sessions)
    fleet.stop(timeout=60)
    service.flush()
    return sent


def compute_jobs(service) -> None:  # type: ignore[no-untyped-def]
    """One incremental jobs pass, then the model rollups of the hours it rolled up."""
    service.jobs.incremental_pass()
    run_model_rollups(service.store)


def fill_dashboard_fleet(service) -> DashboardFleet:  # type: ignore[no-untyped-def]
    prefix = f"ui{uuid.uuid4().hex[:8]}-"
    sent = send_sessions(service, prefix, SESSIONS, HOURS, seed=20261124)
    compute_jobs(service)
    now = service.jobs.now()
    weeks = tuple(sorted({week_name(now), week_name(now - dt.timedelta(hours=HOURS))}, reverse=True))
    for week in weeks:
        service.jobs.weekly_review(week)
    return DashboardFleet(prefix, sent, weeks)
