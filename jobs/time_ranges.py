"""Moments and ranges the jobs pass around: parameter text for ClickHouse, ISO weeks, chunks, CLI input.

Every moment is a timezone-aware UTC datetime; naive input is taken as UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NEVER = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)  # later than any span the ingest accepts
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def param(moment: dt.datetime) -> str:
    """A moment as DateTime64 parameter text (microseconds; chDB and servers both parse it)."""
    return utc(moment).strftime("%Y-%m-%d %H:%M:%S.%f")


def floor_to(moment: dt.datetime, seconds: int) -> dt.datetime:
    moment = utc(moment)
    stamp = int(moment.timestamp()) // seconds * seconds
    return dt.datetime.fromtimestamp(stamp, dt.UTC)


def ceil_to(moment: dt.datetime, seconds: int) -> dt.datetime:
    floored = floor_to(moment, seconds)
    return floored if floored == utc(moment) else floored + dt.timedelta(seconds=seconds)


def parse_moment(text: str, now: dt.datetime) -> dt.datetime:
    """'2026-11-20', '2026-11-20T08:00', '2026-11-20 08:00:00Z', 'now', or relative to now: '90m', '24h', '7d'."""
    text = text.strip()
    if text == "now":
        return utc(now)
    match = _RELATIVE.match(text)
    if match:
        return utc(now) - dt.timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    try:
        return utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (use ISO 8601 like 2026-11-20T08:00, or 90m / 24h / 7d ago)") from None


def iso_week(text: str) -> tuple[dt.datetime, dt.datetime]:
    """[Monday 00:00, next Monday 00:00) UTC of an ISO week written 2026-W47."""
    match = _WEEK.match(text.strip())
    if not match:
        raise ValueError(f"not an ISO week: {text!r} (like 2026-W47)")
    try:
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise ValueError(f"not an ISO week: {text!r}: {exc}") from None
    start = dt.datetime(monday.year, monday.month, monday.day, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=7)


def week_name(moment: dt.datetime) -> str:
    year, week, _ = utc(moment).isocalendar()
    return f"{year}-W{week:02d}"


def previous_week(now: dt.datetime) -> str:
    """The last ISO week that has fully ended at now."""
    return week_name(utc(now) - dt.timedelta(days=7))


def chunks(since: dt.datetime, until: dt.datetime, hours: int) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """[since, until) cut at whole multiples of hours (UTC), in order."""
    step = hours * 3600
    start = utc(since)
    end = utc(until)
    while start < end:
        stop = min(floor_to(start, step) + dt.timedelta(seconds=step), end)
        yield start, stop
        start = stop


def hours_between(since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """The starts of the hours that overlap [since, until)."""
    hour = floor_to(since, 3600)
    out = []
    while hour < utc(until):
        out.append(hour)
        hour += dt.timedelta(hours=1)
    return out
