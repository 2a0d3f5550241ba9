"""The jobs' operations as plain JSON-in, JSON-out functions: the same code answers the JSON API
(spanledger/api_jobs.py) and the CLI when it opens the store itself (spanledger/jobs_client.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jobs.metrics import MetricsQuery, agent_metrics
from jobs.runner import JobRunner
from jobs.time_ranges import iso_week, parse_moment
from jobs.weekly_review import stored_review

JOBS = ("pass", "full", "sessions", "rollups", "weekly-review")


class OperationError(ValueError):
    """A request the jobs cannot run as given; the message says what to change."""


def run_job(runner: JobRunner, body: dict[str, Any]) -> dict[str, Any]:
    job = body.get("job")
    if job == "pass":
        return runner.incremental_pass()
    if job == "full":
        return runner.full_recompute()
    if job == "weekly-review":
        week = _required(body, "week")
        _week(week)
        return runner.weekly_review(week)
    if job in ("sessions", "rollups"):
        since, until = _moment(body, "since"), _moment(body, "until")
        if since >= until:
            raise OperationError(f"since ({since}) must be before until ({until})")
        if job == "sessions":
            return runner.sessions_chunk(since, until, bool(body.get("first_chunk", True)), bool(body.get("last_chunk", True)))
        return runner.rollups_range(since, until)
    raise OperationError(f"unknown job {job!r}; one of {', '.join(JOBS)}")


def span_range(runner: JobRunner) -> dict[str, Any]:
    first, last = runner.span_range()
    return {"first_start": _iso(first), "last_start": _iso(last)}


def metrics(runner: JobRunner, body: dict[str, Any]) -> dict[str, Any]:
    query = MetricsQuery(agent=_required(body, "agent"), since=_moment(body, "since"), until=_moment(body, "until"),
                         by=body.get("by") or "total", tenant=body.get("tenant") or "default", version=body.get("version"),
                         environment=body.get("environment"), segment=body.get("segment"))
    try:
        return agent_metrics(runner.store, query)
    except ValueError as exc:
        raise OperationError(str(exc)) from None


def top_sessions(runner: JobRunner, body: dict[str, Any]) -> dict[str, Any]:
    """A stored weekly review; computed and stored first when the week has none yet and compute is set."""
    tenant, week, agent = body.get("tenant") or "default", _required(body, "week"), body.get("agent")
    _week(week)
    rows = stored_review(runner.store, tenant, week, agent)
    if not rows and body.get("compute", True):
        runner.weekly_review(week)
        rows = stored_review(runner.store, tenant, week, agent)
    return {"tenant": tenant, "week": week, "agent": agent, "sessions": rows}


def _required(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not value:
        raise OperationError(f"{name} is required")
    return str(value)


def _moment(body: dict[str, Any], name: str) -> dt.datetime:
    try:
        return parse_moment(_required(body, name), dt.datetime.now(dt.UTC))
    except ValueError as exc:
        raise OperationError(f"{name}: {exc}") from None


def _week(week: str) -> None:
    try:
        iso_week(week)
    except ValueError as exc:
        raise OperationError(str(exc)) from None


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
