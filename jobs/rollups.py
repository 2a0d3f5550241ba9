"""The rollup job: recomputes (tenant, hour) buckets from `sessions` and spans.

Session figures: ClickHouse returns the hour's live sessions, Polars computes the rows
(jobs/rollup_math.py). Call figures: computed and inserted by ClickHouse in one statement
(sql/queries/jobs_insert_rollup_calls.sql), since moving every call to Polars only to count it costs more
than the rest of the pass; one row per hour, whose arrays keep its calls minute by minute. Both are hourly:
at one minute they would be about as many rows as the sessions and calls themselves, so figures of a
partial hour come from `sessions` and from the call rows' arrays instead. Every row of the pass carries
its start time as version, and the pass ends by making that version its hours' current generation
(rollup_generations); readers see only current rows (views rollup_agents_live, rollup_calls_live). So
recomputing an hour is idempotent, never visible half done, and keys that vanished (a session whose agent
was repaired, or that moved to another hour) drop out.

An incremental pass reads again from spans only the calls of the minutes its sessions start (or started) in;
the calls of the hour's other minutes come from the hour's current generation, whose arrays keep each call's
minute. So a pass late in an hour costs what changed plus a copy of the hour's call arrays, not a read of the
hour's spans (5.75 s a pass on an hour of 11.5 M spans before; README, Ingest performance).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from jobs.budgets import load_budgets
from jobs.percentiles import GAMMA
from jobs.rollup_math import session_rollups
from jobs.time_ranges import floor_to, param
from spanledger.settings import Settings

log = logging.getLogger(__name__)

TenantHour = tuple[str, dt.datetime]
ALL_MINUTES = list(range(60))


@dataclass
class RollupPassResult:
    hours: int = 0
    agent_rows: int = 0


def hours_from(frame: pl.DataFrame) -> list[TenantHour]:
    """(tenant, hour) pairs from a frame of tenant and unix-seconds hour (the dirty-hours queries)."""
    return [(tenant, dt.datetime.fromtimestamp(int(hour), dt.UTC)) for tenant, hour in frame.select("tenant", "hour").iter_rows()]


def dirty_minutes(frame: pl.DataFrame) -> dict[TenantHour, list[int]]:
    """Per (tenant, hour) of sql/queries/jobs_rollup_dirty_hours.sql, the minutes whose calls must be read again:
    those it names, or every minute of an hour that has no generation yet to keep the others from."""
    return {(tenant, dt.datetime.fromtimestamp(int(hour), dt.UTC)): list(minutes) if rolled_before else ALL_MINUTES
            for tenant, hour, minutes, rolled_before in frame.select("tenant", "hour", "minutes", "rolled_before").iter_rows()}


def minutes_params(hours: list[TenantHour], minutes: dict[TenantHour, list[int]]) -> dict[str, str]:
    """{minutes} (JSON [[tenant, unix hour, [minute, ...]]]), {from}, the first of those minutes (the end of the hours
    when none is listed), and {hours_from}, the first hour: for the statements that read again from spans only the
    listed minutes of each hour and keep the rest from its current generation. An hour not in minutes is read whole."""
    listed = [(tenant, hour, minutes.get((tenant, hour), ALL_MINUTES)) for tenant, hour in hours]
    end = max(hour for _, hour, _ in listed) + dt.timedelta(hours=1)
    first = min((hour + dt.timedelta(minutes=min(chosen)) for _, hour, chosen in listed if chosen), default=end)
    return {"minutes": json.dumps([[tenant, int(hour.timestamp()), chosen] for tenant, hour, chosen in listed]), "from": param(first),
            "hours_from": param(min(hour for _, hour, _ in listed))}


def agent_rollups(sessions: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """The hourly session rollup rows of these sessions, budgets carried in; minutes are read from `sessions` itself."""
    return session_rollups(sessions, "1h", load_budgets(settings.budgets_file))


def _in_hours(frame: pl.DataFrame, hours: list[TenantHour], moment: str) -> pl.DataFrame:
    """The rows whose moment lies in one of the (tenant, hour) buckets (sessions by start, as
    sql/queries/jobs_rollup_sessions.sql selects them; rollup rows by bucket)."""
    wanted = pl.DataFrame({"tenant": [tenant for tenant, _ in hours], "hour": [hour for _, hour in hours]},
                          schema={"tenant": pl.String, "hour": frame.schema[moment]})
    return (frame.with_columns(pl.col(moment).dt.truncate("1h").alias("hour"))
            .join(wanted, on=["tenant", "hour"], how="semi").drop("hour"))


def group_hours(hours: Iterable[TenantHour], span_hours: int) -> list[list[TenantHour]]:
    """Dirty hours in groups that each lie within one window of span_hours, so a pass reads spans only
    from its own window onwards instead of from the oldest dirty hour."""
    groups: dict[dt.datetime, list[TenantHour]] = {}
    for tenant, hour in sorted(set(hours), key=lambda item: (item[1], item[0])):
        groups.setdefault(floor_to(hour, span_hours * 3600), []).append((tenant, hour))
    return [groups[key] for key in sorted(groups)]


def run_rollup_pass(store: Any, settings: Settings, hours: list[TenantHour], now: dt.datetime,
                    live: pl.DataFrame | None = None, agent_rows: pl.DataFrame | None = None,
                    minutes: dict[TenantHour, list[int]] | None = None) -> RollupPassResult:
    """Recomputes the rollups of the given (tenant, hour) buckets as of now (written with version now).
    live: every live session of those hours when the caller has them (a full recompute), else they are read;
    agent_rows: agent_rollups(live, ...), when the caller computed them already; minutes: per hour, the minutes
    whose calls are read again from spans (dirty_minutes), else all of them."""
    if not hours:
        return RollupPassResult()
    first = min(hour for _, hour in hours)
    params = {"hours": json.dumps([[tenant, int(hour.timestamp())] for tenant, hour in hours]),
              "from": param(first), "to": param(max(hour for _, hour in hours) + dt.timedelta(hours=1))}
    sessions = store.frame("jobs_rollup_sessions", params) if live is None else _in_hours(live, hours, "first_start")
    rows = agent_rollups(sessions, settings) if agent_rows is None else _in_hours(agent_rows, hours, "bucket")
    rows = rows.with_columns(pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("computed_at"))
    store.insert_frame("jobs_insert_rollup_agents", rows)
    versioned = {**params, "computed_at": param(now)}
    if sessions.height:
        spans_to = sessions.get_column("last_end").max()
        store.run("jobs_insert_rollup_calls", {**versioned, **minutes_params(hours, minutes or {}), "gamma": GAMMA, "spans_to": param(spans_to)})  # type: ignore[arg-type]
    store.run("jobs_commit_rollup_generation", versioned)
    log.debug("rollup pass: %d hours from %s, %d agent rows", len(hours), first, rows.height)
    return RollupPassResult(hours=len(hours), agent_rows=rows.height)
