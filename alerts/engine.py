"""AlertEngine: evaluates the rules at a moment, moves each series through its state machine, stores states,
history and notifications, and delivers the outbox. The scheduler calls it after each rollup pass (and the
delivery loop every few seconds); the CLI and tests call evaluate(now) and deliver(now) with a clock of
their own. One lock keeps an evaluation and a delivery from interleaving within a process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from alerts import outbox, reads
from alerts.observations import (
    Observation,
    labels_json,
    no_data_observations,
    overview_link,
    runaway_observations,
    session_link,
    threshold_observations,
)
from alerts.regression import regression_observations
from alerts.rules import (
    CALL_METRICS,
    SESSION_METRICS,
    AlertRulesError,
    NoDataRule,
    RegressionRule,
    RuleSet,
    RunawaySessionRule,
    ThresholdRule,
    load_rules,
)
from alerts.senders import configured_channels, send
from alerts.state import FIRING, OK, PENDING, SeriesState, Step, advance
from alerts.state_store import load_states, record_changes, save_states
from alerts.weekly import weekly_review_notes
from jobs.budgets import load_budgets
from spanledger.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """One series after an evaluation: its step and, when one is due, the notification to send."""

    rule: Any
    step: Step
    silenced: bool
    note: dict[str, Any] | None
    breached: bool


class AlertEngine:
    def __init__(self, store: Any, settings: Settings, rules: RuleSet | None = None,
                 sender: outbox.Sender = send, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.channels = configured_channels(settings)
        self.rules = rules if rules is not None else load_rules(settings.alerts_rules_file, self.channels)
        self.sender = sender
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._lock = threading.Lock()
        for channel in settings.alerts_weekly_review_channels:
            if channel == "pagerduty" or channel not in self.channels:
                raise AlertRulesError(f"SPANLEDGER_ALERTS_WEEKLY_REVIEW_CHANNELS (alerts_weekly_review_channels): {channel!r} "
                                      f"is not a configured slack, webhook or email channel")

    # -- evaluation ------------------------------------------------------------------------------

    def observe(self, rule: Any, now: dt.datetime) -> list[Observation]:
        """What the rule sees at now, per series (reads only)."""
        if isinstance(rule, ThresholdRule):
            empty = pl.DataFrame()
            since = now - rule.window
            sessions = reads.session_values(self.store, rule, since, now) if rule.metric in SESSION_METRICS else empty
            calls = reads.call_errors(self.store, rule, since, now) if rule.metric in CALL_METRICS else empty
            spend = reads.daily_spend(self.store, rule, now) if rule.metric == "daily_spend_usd" else empty
            return threshold_observations(rule, sessions, calls, spend, load_budgets(self.settings.budgets_file))
        if isinstance(rule, RegressionRule):
            return regression_observations(rule, reads.session_values(self.store, rule, now - rule.window - rule.baseline_window, now), now)
        if isinstance(rule, NoDataRule):
            return no_data_observations(rule, reads.last_seen(self.store, rule, now - rule.lookback, now), now)
        if isinstance(rule, RunawaySessionRule):
            since = now - max(rule.window, rule.baseline_window)
            return runaway_observations(rule, reads.session_values(self.store, rule, since, now), now)
        raise TypeError(f"unknown rule type {type(rule).__name__}")

    def evaluate(self, now: dt.datetime | None = None, dry_run: bool = False) -> list[Outcome]:
        """Every rule at now; unless dry_run, stores states, history and due notifications."""
        now = now or self.clock()
        with self._lock:
            states = load_states(self.store, [rule.name for rule in self.rules.rules]) if self.rules.rules else {}
            outcomes: list[Outcome] = []
            for rule in self.rules.rules:
                try:
                    observations = self.observe(rule, now)
                except Exception:
                    log.exception("alert rule %s could not be evaluated at %s; its series keep their state", rule.name, now)
                    continue
                outcomes += self._advance_rule(rule, observations, states, now)
            if not dry_run:
                self._store(outcomes, now)
            return outcomes

    def _advance_rule(self, rule: Any, observations: list[Observation], states: dict[tuple[str, str], SeriesState],
                      now: dt.datetime) -> list[Outcome]:
        out = []
        seen = set()
        for obs in observations:
            seen.add(obs.series_key)
            labels = obs.labels
            current = states.get((rule.name, obs.series_key)) or SeriesState(
                rule.name, obs.series_key, labels.get("tenant", ""), labels.get("agent", ""), labels_json(labels), state_since=now)
            silenced = self.rules.silenced(rule.name, labels, now)
            step = advance(current, obs.breached, now, rule.for_, rule.repeat_interval, silenced)
            step = replace(step, state=replace(step.state, value=obs.value, threshold=obs.threshold, summary=obs.summary))
            out.append(Outcome(rule, step, silenced, self._note(rule, step, obs.labels, obs.link, obs.details, now), obs.breached))
        for (name, key), current in states.items():
            if name != rule.name or key in seen or current.state not in (PENDING, FIRING):
                continue  # a vanished series that is ok or resolved stays as it was
            labels = json.loads(current.labels)
            silenced = self.rules.silenced(rule.name, labels, now)
            step = advance(current, False, now, rule.for_, rule.repeat_interval, silenced)
            summary = f"{current.summary} — no longer reported (left the rule's window)"
            step = replace(step, state=replace(step.state, summary=summary))
            link = session_link(labels["tenant"], labels["session_id"]) if "session_id" in labels else overview_link(labels)
            out.append(Outcome(rule, step, silenced, self._note(rule, step, labels, link, {}, now), False))
        return out

    def _note(self, rule: Any, step: Step, labels: dict[str, str], link: str, details: dict[str, Any],
              now: dt.datetime) -> dict[str, Any] | None:
        if step.notify is None:
            return None
        state = step.state
        dedup = dedup_key(rule.name, state.series_key)
        return {"notification_id": f"{dedup}#{state.notifications}", "kind": step.notify, "rule": rule.name, "rule_kind": rule.kind,
                "severity": rule.severity, "description": rule.description, "dedup_key": dedup, "series_key": state.series_key,
                "labels": labels, "summary": state.summary, "value": state.value, "threshold": state.threshold,
                "details": details, "link": self.settings.alerts_ui_url.rstrip("/") + link,
                "fired_at": _iso(state.fired_at), "resolved_at": _iso(state.resolved_at) if step.notify == "resolve" else None,
                "at": _iso(now)}

    def _store(self, outcomes: list[Outcome], now: dt.datetime) -> None:
        # Notifications first: if the process dies before the states are written, the next evaluation derives
        # the same notification ids again and the outbox keeps the one it has.
        outbox.enqueue(self.store, [(o.note, o.rule.channels) for o in outcomes if o.note is not None], now)
        # A series that stays ok needs no new row: its last one says ok already.
        save_states(self.store, [o.step.state for o in outcomes if o.step.state.state != OK or o.step.changed])
        record_changes(self.store, [(o.step.state, o.step.previous, o.silenced) for o in outcomes if o.step.changed])

    # -- delivery --------------------------------------------------------------------------------

    def deliver(self, now: dt.datetime | None = None) -> outbox.DeliveryReport:
        if not self.channels:
            return outbox.DeliveryReport()  # nothing to send with: the rows wait for a process that has channels
        with self._lock:
            names = {rule.name for rule in self.rules.rules}
            return outbox.deliver_due(self.store, self.settings, now or self.clock(), self.sender, self.channels, names)

    def cycle(self) -> None:
        """The scheduler's hook after each rollup pass: evaluate now, then deliver what is due."""
        if self.rules.rules:
            self.evaluate()
        self.deliver()

    def send_weekly_review(self, week: str, now: dt.datetime | None = None) -> int:
        """Queues the stored weekly review of week for alerts_weekly_review_channels (once per tenant and
        week, however often it is called) and delivers it; returns the notifications queued."""
        channels = tuple(self.settings.alerts_weekly_review_channels)
        if not channels:
            return 0
        now = now or self.clock()
        notes = [(note, channels) for note in weekly_review_notes(self.store, week, self.settings.alerts_ui_url, now)]
        with self._lock:
            queued = outbox.enqueue(self.store, notes, now)
        self.deliver(now)
        return queued

    def send_test(self, channel: str) -> None:
        """Sends a test notification to channel now, outside the outbox; raises DeliveryError."""
        now = self.clock()
        note: dict[str, Any] = {"notification_id": f"test/{channel}/{now:%Y%m%dT%H%M%S%f}", "kind": "test", "rule": "spanledger-test",
                "rule_kind": "test", "severity": "info", "dedup_key": f"spanledger-test/{now:%Y%m%dT%H%M%S%f}", "series_key": "",
                "labels": {}, "summary": "Test notification from spanledger: this channel is set up.", "value": None,
                "threshold": None, "details": {}, "link": self.settings.alerts_ui_url.rstrip("/") + "/alerts",
                "fired_at": _iso(now), "at": _iso(now)}
        self.sender(self.settings, channel, note)
        if channel == "pagerduty":  # leave no open incident behind
            self.sender(self.settings, channel, {**note, "kind": "resolve"})


def dedup_key(rule: str, series_key: str) -> str:
    """Stable per rule and series: PagerDuty folds every event of one series into one alert."""
    readable = f"spanledger/{rule}/{series_key}"
    return readable if len(readable) <= 255 else f"spanledger/{rule}/" + hashlib.sha256(series_key.encode()).hexdigest()[:40]


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
