"""The jobs commands on the spanledger group: jobs (scheduler and backfills), metrics, gate, report.

Each reaches the jobs through a running server at --url when one answers, else opens the store itself
(--data-dir), like `spanledger query`. Backfills go chunk by chunk so the progress bar moves.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

import click

from jobs.gate import GateMargins, decide, stats_from_metrics
from jobs.metrics import BY_CHOICES
from jobs.report_render import render_top_sessions
from jobs.time_ranges import chunks, iso_week, parse_moment, week_name
from spanledger.cli import main
from spanledger.jobs_client import DoorError, HttpDoor, LocalDoor, server_answers
from spanledger.settings import load_settings
from spanledger.tables import render

DEFAULT_URL = "http://127.0.0.1:4318"


def door_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--data-dir", type=click.Path(file_okay=False), help="Open this store directly when no server answers at --url.")(command)
    return click.option("--url", default=DEFAULT_URL, show_default=True, help="A running server's HTTP address.")(command)


def range_options(default_since: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--until", default="now", show_default=True, help="End (exclusive): ISO time or 90m / 24h / 7d ago.")(command)
        return click.option("--since", default=default_since, show_default=True, help="Start: ISO time (UTC) or 90m / 24h / 7d ago.")(command)
    return wrap


class Door:
    """Opens the right door for a command and turns its errors into click errors."""

    def __init__(self, url: str, data_dir: str | None) -> None:
        try:
            settings = load_settings(data_dir=data_dir)
            self.door: HttpDoor | LocalDoor = HttpDoor(url, settings.api_key) if server_answers(url) else LocalDoor(settings)
        except Exception as exc:  # settings or store errors, which vary by backend
            raise click.ClickException(f"no server at {url} and cannot open the store: {exc}") from None

    def __call__(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return self.door.call(name, body)
        except DoorError as exc:
            raise click.ClickException(str(exc)) from None

    def __enter__(self) -> Door:
        return self

    def __exit__(self, *_: object) -> None:
        self.door.close()


def _moment(text: str) -> dt.datetime:
    try:
        return parse_moment(text, dt.datetime.now(dt.UTC))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@main.group(invoke_without_command=True)
@click.option("--data-dir", type=click.Path(file_okay=False), help="Store directory (SPANLEDGER_DATA_DIR), when run standalone.")
@click.pass_context
def jobs(ctx: click.Context, data_dir: str | None) -> None:
    """Run the scheduled jobs standalone (no subcommand), or one job now (backfills)."""
    if ctx.invoked_subcommand is not None:
        return
    from jobs.runner import JobRunner
    from jobs.scheduler import JobScheduler
    from store import open_store

    try:
        settings = load_settings(data_dir=data_dir)
        store = open_store(settings)
    except Exception as exc:
        raise click.ClickException(f"cannot open the store: {exc}") from None
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from alerts.engine import AlertEngine
    from alerts.loop import DeliveryLoop

    try:
        alerts = AlertEngine(store, settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    scheduler = JobScheduler(JobRunner(store.background(settings.jobs_nice), settings), settings, after_pass=alerts.cycle, after_weekly=alerts.send_weekly_review)
    delivery = DeliveryLoop(alerts, settings.alerts_delivery_interval_seconds)
    delivery.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler.start()
    click.echo(f"jobs running: incremental pass every {settings.jobs_interval_seconds:g} s, weekly review '{settings.weekly_review_cron}' (UTC)")
    stop.wait()
    scheduler.stop()
    delivery.stop()
    store.close()


@jobs.command("run")
@door_options
def jobs_run(url: str, data_dir: str | None) -> None:
    """One incremental pass now: sessions touched since the last pass, then their rollups."""
    with Door(url, data_dir) as door:
        click.echo(json.dumps(door("run", {"job": "pass"}), sort_keys=True))


@jobs.command("full")
@door_options
def jobs_full(url: str, data_dir: str | None) -> None:
    """Recompute every session and rollup the spans table holds."""
    with Door(url, data_dir) as door, click.progressbar(length=1, label="full recompute") as bar:
        summary = door("run", {"job": "full"})
        bar.update(1)
    click.echo(json.dumps(summary, sort_keys=True))


def _backfill(job: str, since: str, until: str, url: str, data_dir: str | None, chunk_hours: int | None) -> None:
    start, end = _moment(since), _moment(until)
    if start >= end:
        raise click.BadParameter(f"--since ({start}) must be before --until ({end})")
    with Door(url, data_dir) as door:
        hours = chunk_hours or load_settings().jobs_backfill_chunk_hours
        steps = list(chunks(start, end, hours))
        done = {"sessions": 0, "hours": 0}
        with click.progressbar(steps, label=f"{job} {start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M}",
                               item_show_func=lambda step: step and f"{step[0]:%m-%d %H:%M}") as bar:
            for index, (chunk_since, chunk_until) in enumerate(bar):
                summary = door("run", {"job": job, "since": _iso(chunk_since), "until": _iso(chunk_until),
                                       "first_chunk": index == 0, "last_chunk": index == len(steps) - 1})
                for key in done:
                    done[key] += int(summary.get(key, 0))
        click.echo(json.dumps({"job": job, "chunks": len(steps), **{k: v for k, v in done.items() if v or k in summary}}, sort_keys=True))


@jobs.command("sessions")
@range_options("24h")
@click.option("--chunk-hours", type=int, help="Hours per step (default: jobs_backfill_chunk_hours).")
@door_options
def jobs_sessions(since: str, until: str, chunk_hours: int | None, url: str, data_dir: str | None) -> None:
    """Backfill: recompute the sessions with spans starting in [--since, --until)."""
    _backfill("sessions", since, until, url, data_dir, chunk_hours)


@jobs.command("rollups")
@range_options("24h")
@click.option("--chunk-hours", type=int, help="Hours per step (default: jobs_backfill_chunk_hours).")
@door_options
def jobs_rollups(since: str, until: str, chunk_hours: int | None, url: str, data_dir: str | None) -> None:
    """Backfill: recompute the rollups of every hour in [--since, --until) from the sessions."""
    _backfill("rollups", since, until, url, data_dir, chunk_hours)


@jobs.command("weekly-review")
@click.option("--week", "weeks", multiple=True, help="ISO week like 2026-W47 (repeatable).")
@click.option("--since", help="Or every ISO week from this time ...")
@click.option("--until", default="now", show_default=True, help="... to this one.")
@door_options
def jobs_weekly_review(weeks: tuple[str, ...], since: str | None, until: str, url: str, data_dir: str | None) -> None:
    """Compute and store the weekly top-sessions review of the given weeks."""
    names = list(weeks)
    if since:
        moment, end = _moment(since), _moment(until)
        while moment < end:
            names.append(week_name(moment))
            moment += dt.timedelta(days=7)
        if week_name(end - dt.timedelta(microseconds=1)) not in names:
            names.append(week_name(end - dt.timedelta(microseconds=1)))
    if not names:
        raise click.UsageError("give --week or --since")
    with Door(url, data_dir) as door, click.progressbar(names, label="weekly review") as bar:
        results = [door("run", {"job": "weekly-review", "week": week}) for week in bar]
    click.echo(json.dumps(results, sort_keys=True))


@main.command()
@click.option("--agent", required=True, help="Agent name.")
@click.option("--version", "version", help="Only this agent version.")
@click.option("--environment", help="Only this environment.")
@click.option("--segment", help="Only this user segment.")
@click.option("--tenant", help="Tenant to read (default: the API key's, else default).")
@range_options("24h")
@click.option("--by", type=click.Choice(BY_CHOICES), default="total", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True)
@door_options
def metrics(agent: str, version: str | None, environment: str | None, segment: str | None, tenant: str | None, since: str,
            until: str, by: str, fmt: str, url: str, data_dir: str | None) -> None:
    """An agent's success rate, latency and cost percentiles, tool distribution and budgets."""
    body = {"agent": agent, "version": version, "environment": environment, "segment": segment, "tenant": tenant,
            "since": _iso(_moment(since)), "until": _iso(_moment(until)), "by": by}
    with Door(url, data_dir) as door:
        result = door("metrics", body)
    click.echo(json.dumps(result, sort_keys=True) if fmt == "json" else metrics_table(result))


def metrics_table(result: dict[str, Any]) -> str:
    def num(value: Any, digits: int = 1) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    rows, tools = [], []
    for g in result["groups"]:
        lat, cost = g["session_latency_ms"], g["cost_per_session_usd"]
        rows.append([g["key"], g["sessions"], g["finished"], num(g["success_rate"], 3), num(g["error_rate"], 3),
                     num(g["handoff_rate"], 3), f"{num(lat['p50'], 0)}/{num(lat['p95'], 0)}/{num(lat['p99'], 0)}",
                     f"{num(cost['mean'], 4)}/{num(cost['p95'], 4)}/{num(cost['p99'], 4)}/{num(cost['max'], 4)}",
                     num(g["spend_usd"], 2), num(g["model_calls"]["latency_ms"]["p95"], 0),
                     num(g["tool_calls"]["latency_ms"]["p95"], 0), g["budget"]["cost_p95_status"], g["budget"]["daily_spend_status"]])
        tools += [[g["key"], t["tool"], t["calls"], num(t["share"], 3), num(t["error_rate"], 3), num(t["latency_ms"]["p95"], 0)]
                  for t in g["tools"]]
    head = (f"agent {result['agent']}  [{result['since']} .. {result['until']})  by {result['by']}\n")
    main_table = render(["key", "sessions", "finished", "success", "error", "handoff", "latency ms p50/p95/p99",
                         "cost $ mean/p95/p99/max", "spend $", "model p95 ms", "tool p95 ms", "cost budget", "daily budget"], rows, "table")
    tool_table = render(["key", "tool", "calls", "share", "error rate", "p95 ms"], tools, "table")
    return head + main_table + "\n\ntools\n" + tool_table


@main.command()
@click.option("--agent", required=True)
@click.option("--candidate", required=True, help="The canary version.")
@click.option("--baseline", required=True, help="The version it must not be worse than.")
@click.option("--tenant", help="Tenant to read (default: the API key's, else default).")
@range_options("24h")
@click.option("--min-sessions", type=int, help="Finished sessions each version needs (default: gate_min_sessions).")
@click.option("--success-margin", type=float, help="Tolerated success-rate drop, absolute (default: gate_success_margin).")
@click.option("--latency-margin", type=float, help="Tolerated p95 latency rise, relative (default: gate_latency_margin).")
@click.option("--cost-margin", type=float, help="Tolerated p95 cost rise, relative (default: gate_cost_margin).")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True)
@door_options
@click.pass_context
def gate(ctx: click.Context, agent: str, candidate: str, baseline: str, tenant: str | None, since: str, until: str,
         min_sessions: int | None, success_margin: float | None, latency_margin: float | None, cost_margin: float | None,
         fmt: str, url: str, data_dir: str | None) -> None:
    """Compare a canary with its baseline; exit 0 pass, 1 fail, 2 not enough data."""
    defaults = load_settings(data_dir=data_dir)
    margins = GateMargins(success=defaults.gate_success_margin if success_margin is None else success_margin,
                          latency=defaults.gate_latency_margin if latency_margin is None else latency_margin,
                          cost=defaults.gate_cost_margin if cost_margin is None else cost_margin,
                          alpha=defaults.gate_alpha, min_sessions=min_sessions or defaults.gate_min_sessions)
    body = {"agent": agent, "tenant": tenant, "since": _iso(_moment(since)), "until": _iso(_moment(until)), "by": "version"}
    with Door(url, data_dir) as door:
        stats = {v: stats_from_metrics((door("metrics", {**body, "version": v})["groups"] or [None])[0], v) for v in (candidate, baseline)}
    result = decide(stats[candidate], stats[baseline], margins)
    if fmt == "json":
        click.echo(json.dumps({"verdict": result.verdict, "reason": result.reason, "checks": result.checks,
                               "candidate": vars(stats[candidate]), "baseline": vars(stats[baseline])}, sort_keys=True, default=str))
    else:
        rows = [[c["check"], c["candidate"], c["baseline"], c["limit"], "pass" if c["passed"] else "FAIL"] for c in result.checks]
        click.echo(f"{agent}: {candidate} ({stats[candidate].finished} finished) vs {baseline} ({stats[baseline].finished} finished)")
        if rows:
            click.echo(render(["check", "candidate", "baseline", "limit", "result"], rows, "table"))
        click.echo(f"verdict: {result.verdict} ({result.reason})")
    ctx.exit(result.exit_code)


@main.group()
def report() -> None:
    """Stored reports."""


@report.command("top-sessions")
@click.option("--week", required=True, help="ISO week, like 2026-W47.")
@click.option("--agent", help="One agent's list instead of the tenant's.")
@click.option("--tenant", help="Tenant to read (default: the API key's, else default).")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "html", "json"]), default="md", show_default=True)
@door_options
def top_sessions(week: str, agent: str | None, tenant: str | None, fmt: str, url: str, data_dir: str | None) -> None:
    """The most expensive sessions of an ISO week (computed and stored first if the week has none)."""
    try:
        iso_week(week)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None
    with Door(url, data_dir) as door:
        result = door("top_sessions", {"week": week, "agent": agent, "tenant": tenant})
    title = f"Most expensive sessions, {week}, {result.get('tenant') or tenant}" + (f", agent {agent}" if agent else "")
    click.echo(render_top_sessions(result["sessions"], fmt, title))
