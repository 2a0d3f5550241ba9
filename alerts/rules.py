"""Alert rules and silences from the YAML file named by alerts_rules_file, validated at start.

Every error names the rule (by name and position) and the field, so a bad file is fixed in one look.
Pure: parsing and validation only, no store access.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

SEVERITIES = ("critical", "error", "warning", "info")
CHANNELS = ("pagerduty", "slack", "webhook", "email")
GROUP_KEYS = ("agent", "version", "environment", "segment")
# Threshold metrics: figures of the sessions in the window (jobs/rollup_math.session_figures), the call
# rollups' error rates, and today's spend from the hourly session rollups.
SESSION_METRICS = ("cost_p50", "cost_p95", "cost_p99", "cost_mean", "cost_max", "session_ms_p50", "session_ms_p95",
                   "session_ms_p99", "success_rate", "error_rate", "handoff_rate", "spend_usd", "sessions", "finished")
CALL_METRICS = ("tool_error_rate", "model_error_rate")
BUDGET_METRICS = {"cost_p95": "budget_cost_p95_usd", "daily_spend_usd": "budget_daily_spend_usd"}
THRESHOLD_METRICS = SESSION_METRICS + CALL_METRICS + ("daily_spend_usd",)
REGRESSION_METRICS = ("success_rate", "error_rate", "handoff_rate", "cost_p50", "cost_p95", "cost_p99",
                      "session_ms_p50", "session_ms_p95", "session_ms_p99")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class AlertRulesError(ValueError):
    """The rules file cannot be used; the message names the file, the rule and the field."""


def parse_duration(value: Any) -> dt.timedelta:
    """'90s', '15m', '1h', '7d', '2w', or a number of seconds."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return dt.timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (like 90s, 15m, 1h, 7d)")
    return dt.timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _one_of(allowed: tuple[str, ...], what: str) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what} {value!r}; one of {', '.join(allowed)}")
        return value
    return AfterValidator(check)


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration)]
GroupBy = Annotated[tuple[str, ...], BeforeValidator(lambda value: _group_keys(value))]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
    description: str = ""
    severity: Literal["critical", "error", "warning", "info"] = "warning"
    channels: tuple[str, ...] = ()
    tenant: str | None = None
    agent: str | None = None
    version: str | None = None
    environment: str | None = None
    for_: Duration = Field(dt.timedelta(0), alias="for")
    repeat_interval: Duration | None = dt.timedelta(hours=4)

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        for name in value or ():
            if name not in CHANNELS:
                raise ValueError(f"unknown channel {name!r}; one of {', '.join(CHANNELS)}")
        return value

    @field_validator("repeat_interval")
    @classmethod
    def _repeat_positive(cls, value: dt.timedelta | None) -> dt.timedelta | None:
        if value is not None and value <= dt.timedelta(0):
            raise ValueError("must be positive (leave it out, or null, for no repeats)")
        return value


class ThresholdRule(_Rule):
    kind: Literal["threshold"]
    metric: Annotated[str, _one_of(THRESHOLD_METRICS, "metric")]
    window: Duration = dt.timedelta(minutes=15)
    above: float | Literal["budget"] | None = None
    below: float | None = None
    min_sessions: int = Field(1, ge=0)
    group_by: GroupBy = ("agent", "version", "environment")

    @model_validator(mode="after")
    def _one_bound(self) -> ThresholdRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        if self.above == "budget" and self.metric not in BUDGET_METRICS:
            raise ValueError(f"above: budget works for {', '.join(BUDGET_METRICS)} only")
        if self.above == "budget" and "agent" not in self.group_by:
            raise ValueError("above: budget needs agent in group_by (budgets are per agent)")
        if self.metric == "daily_spend_usd" and set(self.group_by) - {"agent", "version", "environment"}:
            raise ValueError("daily_spend_usd groups by agent, version and environment only")
        return self


class RegressionRule(_Rule):
    kind: Literal["regression"]
    metric: Annotated[str, _one_of(REGRESSION_METRICS, "metric")]
    baseline: str = "previous"  # 'previous', 'trailing_7d', or a version name
    window: Duration = dt.timedelta(hours=24)
    baseline_window: Duration = dt.timedelta(days=7)
    margin: float = Field(0.1, ge=0)
    alpha: float = Field(0.05, gt=0, lt=1)
    min_sessions: int = Field(100, ge=1)
    group_by: GroupBy = ("agent", "version")

    @field_validator("group_by")
    @classmethod
    def _versions_of_an_agent(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        if "agent" not in keys or "version" not in keys:
            raise ValueError("a regression compares versions of an agent: group_by must include agent and version")
        return keys


class NoDataRule(_Rule):
    kind: Literal["no_data"]
    silent_for: Duration = dt.timedelta(minutes=30)
    lookback: Duration = dt.timedelta(days=7)
    group_by: GroupBy = ("agent",)

    @field_validator("group_by")
    @classmethod
    def _agent_or_environment(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        if set(keys) - {"agent", "environment"}:
            raise ValueError("no_data groups by agent and environment only")
        return keys

    @model_validator(mode="after")
    def _lookback_longer(self) -> NoDataRule:
        if self.lookback <= self.silent_for:
            raise ValueError("lookback must be longer than silent_for")
        return self


class RunawaySessionRule(_Rule):
    kind: Literal["runaway_session"]
    window: Duration = dt.timedelta(hours=1)
    max_steps: int | None = Field(None, ge=1)
    max_cost_usd: float | None = Field(None, gt=0)
    max_cost_multiple: float | None = Field(None, gt=1)
    baseline_window: Duration = dt.timedelta(days=7)
    min_baseline_sessions: int = Field(20, ge=1)
    repeat_interval: Duration | None = None  # a session pages once

    @model_validator(mode="after")
    def _some_limit(self) -> RunawaySessionRule:
        if self.max_steps is None and self.max_cost_usd is None and self.max_cost_multiple is None:
            raise ValueError("give at least one of max_steps, max_cost_usd, max_cost_multiple")
        return self


Rule = ThresholdRule | RegressionRule | NoDataRule | RunawaySessionRule
_KINDS: dict[str, type[BaseModel]] = {"threshold": ThresholdRule, "regression": RegressionRule, "no_data": NoDataRule,
                                       "runaway_session": RunawaySessionRule}


class Silence(BaseModel):
    """Mutes notifications (not evaluation) of matching series until a moment; unset matchers match all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str | None = None
    tenant: str | None = None
    agent: str | None = None
    version: str | None = None
    environment: str | None = None
    until: dt.datetime
    reason: str = ""

    @field_validator("until")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    def matches(self, rule: str, labels: dict[str, str], now: dt.datetime) -> bool:
        if now >= self.until or (self.rule is not None and self.rule != rule):
            return False
        return all(value is None or labels.get(key) == value
                   for key, value in (("tenant", self.tenant), ("agent", self.agent), ("version", self.version),
                                      ("environment", self.environment)))


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    rules: tuple[Any, ...] = ()
    silences: tuple[Silence, ...] = ()

    def by_name(self, name: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.name == name), None)

    def silenced(self, rule: str, labels: dict[str, str], now: dt.datetime) -> bool:
        return any(silence.matches(rule, labels, now) for silence in self.silences)


def _group_keys(value: Any) -> tuple[str, ...]:
    keys = (value,) if isinstance(value, str) else tuple(value or ())
    for key in keys:
        if key not in GROUP_KEYS:
            raise ValueError(f"unknown group_by key {key!r}; from {', '.join(GROUP_KEYS)}")
    return keys


def parse_rules(document: Any, source: str, configured_channels: tuple[str, ...] = CHANNELS) -> RuleSet:
    """A RuleSet from the parsed YAML; rules without channels go to every configured channel."""
    if document is None:
        return RuleSet()
    if not isinstance(document, dict) or set(document) - {"rules", "silences"}:
        raise AlertRulesError(f"{source}: the top level must be a mapping with 'rules' and optionally 'silences'")
    rules: list[Rule] = []
    for index, item in enumerate(document.get("rules") or [], start=1):
        label = f"rule #{index}" + (f" ({item.get('name')!r})" if isinstance(item, dict) and item.get("name") else "")
        if not isinstance(item, dict):
            raise AlertRulesError(f"{source}: {label}: must be a mapping")
        kind = item.get("kind")
        if kind not in _KINDS:
            raise AlertRulesError(f"{source}: {label}: field 'kind': must be one of {', '.join(_KINDS)}, got {kind!r}")
        try:
            rule = _KINDS[kind].model_validate(item)
        except ValidationError as exc:
            raise AlertRulesError(f"{source}: {label}: {_problems(exc)}") from None
        channels = rule.channels or configured_channels  # type: ignore[attr-defined]
        missing = [name for name in channels if name not in configured_channels]
        if missing:
            raise AlertRulesError(f"{source}: {label}: field 'channels': {', '.join(missing)} not configured "
                                  f"(configured: {', '.join(configured_channels) or 'none'})")
        rules.append(rule.model_copy(update={"channels": tuple(channels)}))  # type: ignore[arg-type]
    names = [rule.name for rule in rules]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate:
        raise AlertRulesError(f"{source}: rule {duplicate!r}: field 'name': used by more than one rule")
    silences = []
    for index, item in enumerate(document.get("silences") or [], start=1):
        try:
            silences.append(Silence.model_validate(item))
        except ValidationError as exc:
            raise AlertRulesError(f"{source}: silence #{index}: {_problems(exc)}") from None
    return RuleSet(rules=tuple(rules), silences=tuple(silences))


def load_rules(path: Path | None, configured_channels: tuple[str, ...] = CHANNELS) -> RuleSet:
    """The rules of the YAML file at path (none: an empty set)."""
    if path is None:
        return RuleSet()
    try:
        document = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise AlertRulesError(f"rules file {path}: {exc}") from None
    return parse_rules(document, f"rules file {path}", configured_channels)


def _problems(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(rule)"
        field = "for" if field == "for_" else field
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"field '{field}': {message}" if error["loc"] else message)
    return "; ".join(parts)


def describe_rule(rule: Any) -> str:
    """One line saying when the rule fires, for the dashboards and the CLI."""
    if isinstance(rule, ThresholdRule):
        bound = f"> {rule.above}" if rule.above is not None else f"< {rule.below}"
        return f"{rule.metric} {bound} over {_span(rule.window)} (min {rule.min_sessions} sessions) per {', '.join(rule.group_by)}"
    if isinstance(rule, RegressionRule):
        return (f"{rule.metric} worse than {rule.baseline} by > {rule.margin:g} at p < {rule.alpha:g} over {_span(rule.window)} "
                f"(min {rule.min_sessions} sessions each)")
    if isinstance(rule, NoDataRule):
        return f"no sessions for {_span(rule.silent_for)} from an agent seen in {_span(rule.lookback)} per {', '.join(rule.group_by)}"
    limits = [f"> {rule.max_steps} steps" if rule.max_steps else "", f"> ${rule.max_cost_usd:g}" if rule.max_cost_usd else "",
              f"> {rule.max_cost_multiple:g}x median cost" if rule.max_cost_multiple else ""]
    return f"a session started in the last {_span(rule.window)} with " + " or ".join(part for part in limits if part)


def _span(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
