"""The dashboards' view: global filters (time range, tenant, agent, version, environment, auto-refresh) read
from and written to the URL's query string, so any view can be shared and reloaded. Pure, no I/O.

A range is a preset ('1h' … '30d', ending now) or explicit `from`/`to` moments. It is cut to whole minutes,
and ranges longer than six hours start on a whole hour and read the 1-hour rollups (else the 1-minute ones),
so the session figures and the rollup charts of a view cover the same buckets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jobs.time_ranges import floor_to, param, parse_moment

RANGES = {"1h": 1, "6h": 6, "24h": 24, "7d": 168, "30d": 720}
DEFAULT_RANGE = "24h"
REFRESH_CHOICES = {0: "off", 30: "30 s", 60: "1 min", 300: "5 min"}
DEFAULT_REFRESH = 60
MINUTE_GRAIN_HOURS = 6
TREND_BUCKET_HOURS = (1, 3, 6, 12, 24)  # beyond the minute grain, the first that keeps a chart within TREND_POINTS
TREND_POINTS = 100
GLOBAL_KEYS = ("range", "from", "to", "tenant", "agent", "version", "env", "refresh")


@dataclass(frozen=True)
class View:
    """What every page shows: a tenant's data in [since, until), optionally of one agent, version, environment."""

    since: dt.datetime
    until: dt.datetime
    range: str = DEFAULT_RANGE  # a preset name, or 'custom' for explicit from/to
    tenant: str = "default"
    agent: str | None = None
    version: str | None = None
    environment: str | None = None
    refresh: int = DEFAULT_REFRESH
    extra: dict[str, str] = field(default_factory=dict)  # the page's own parameters (sort, week, ...)

    @property
    def grain(self) -> str:
        return "1m" if self.until - self.since <= dt.timedelta(hours=MINUTE_GRAIN_HOURS) else "1h"

    @property
    def bucket_seconds(self) -> int:
        """The time step of the charts over time: the grain, or for long ranges whole hours enough to keep a
        line within about TREND_POINTS points (a week: 3 h). Buckets start at multiples of the step since the epoch."""
        if self.grain == "1m":
            return 60
        hours = (self.until - self.since) / dt.timedelta(hours=1)
        return 3600 * next((step for step in TREND_BUCKET_HOURS if hours / step <= TREND_POINTS), TREND_BUCKET_HOURS[-1])

    @property
    def bucket_label(self) -> str:
        return "1m" if self.bucket_seconds == 60 else f"{self.bucket_seconds // 3600}h"

    def params(self) -> dict[str, Any]:
        """The query parameters every ui_*.sql filter takes."""
        return {"tenant": self.tenant, "since": param(self.since), "until": param(self.until), "grain": self.grain,
                "bucket_seconds": self.bucket_seconds,
                "any_agent": int(self.agent is None), "agent": self.agent or "",
                "any_version": int(self.version is None), "version": self.version or "",
                "any_environment": int(self.environment is None), "environment": self.environment or ""}

    def get(self, key: str, default: str = "") -> str:
        return self.extra.get(key, default)

    def query(self, changes: dict[str, str | None] | None = None) -> str:
        """This view's query string ('?range=…'), with changes applied (None removes a key)."""
        return query_string({**self.url_values(), **(changes or {})})

    def global_query(self) -> str:
        """The query string of the global filters only: what links to other pages carry."""
        return query_string({key: value for key, value in self.url_values().items() if key in GLOBAL_KEYS})

    def url_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        if self.range == "custom":
            values["from"] = _iso(self.since)
            values["to"] = _iso(self.until)
        elif self.range != DEFAULT_RANGE:
            values["range"] = self.range
        if self.tenant != "default":
            values["tenant"] = self.tenant
        for key, value in (("agent", self.agent), ("version", self.version), ("env", self.environment)):
            if value is not None:
                values[key] = value
        if self.refresh != DEFAULT_REFRESH:
            values["refresh"] = str(self.refresh)
        return {**values, **self.extra}

    def with_agent(self, agent: str | None) -> View:
        return replace(self, agent=agent)


def parse_view(values: dict[str, Any], now: dt.datetime) -> View:
    """The view a URL's query parameters name; unknown or malformed values fall back to the defaults."""
    text = {key: str(value[0] if isinstance(value, list) else value) for key, value in values.items() if value not in (None, "")}
    until = floor_to(now, 60)
    preset = text.get("range", DEFAULT_RANGE)
    if preset not in RANGES:
        preset = DEFAULT_RANGE
    since = until - dt.timedelta(hours=RANGES[preset])
    if "from" in text or "to" in text:
        try:
            since = floor_to(parse_moment(text["from"], now), 60) if "from" in text else since
            until = floor_to(parse_moment(text["to"], now), 60) if "to" in text else until
            preset = "custom"
        except ValueError:
            pass
    if since >= until:
        since = until - dt.timedelta(hours=RANGES[DEFAULT_RANGE])
    if until - since > dt.timedelta(hours=MINUTE_GRAIN_HOURS):
        since = floor_to(since, 3600)
    try:
        refresh = max(0, int(text.get("refresh", DEFAULT_REFRESH)))
    except ValueError:
        refresh = DEFAULT_REFRESH
    extra = {key: value for key, value in text.items() if key not in GLOBAL_KEYS}
    return View(since=since, until=until, range=preset, tenant=text.get("tenant", "default"), agent=text.get("agent"),
                version=text.get("version"), environment=text.get("env"), refresh=refresh, extra=extra)


def parse_query_string(search: str | None) -> dict[str, str]:
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def query_string(values: dict[str, str | None]) -> str:
    kept = {key: value for key, value in values.items() if value not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")
