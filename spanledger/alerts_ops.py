"""The alerts' operations as JSON-in, JSON-out functions over a store: the JSON API (spanledger/api_alerts.py)
and the CLI when it opens the store itself answer with the same code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from alerts import outbox
from alerts.engine import AlertEngine
from alerts.rules import AlertRulesError, parse_rules
from alerts.senders import configured_channels
from alerts.state_store import history, states_frame
from jobs.time_ranges import parse_moment
from spanledger.settings import Settings
from spanledger.tables import plain


class AlertsOperationError(ValueError):
    """A request the alerts cannot answer as given; the message says what to change."""


def check(store: Any, settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
    """Evaluates the rules (the given YAML text, else the configured file) at `at` (default now) without
    storing or sending anything: each series' state before and after, and the notification it would send."""
    try:
        rules = (parse_rules(yaml.safe_load(body["rules"]), "rules given", configured_channels(settings))
                 if body.get("rules") else None)
        engine = AlertEngine(store, settings, rules)
        at = parse_moment(body.get("at") or "now", dt.datetime.now(dt.UTC))
    except (AlertRulesError, yaml.YAMLError, ValueError) as exc:
        raise AlertsOperationError(str(exc)) from None
    series = [{"rule": o.rule.name, "kind": o.rule.kind, "series": o.step.state.series_key, "breached": o.breached,
               "from": o.step.previous, "to": o.step.state.state, "would_send": o.note["kind"] if o.note else "",
               "channels": list(o.rule.channels) if o.note else [], "silenced": o.silenced, "value": o.step.state.value,
               "threshold": o.step.state.threshold, "summary": o.step.state.summary}
              for o in engine.evaluate(at, dry_run=True)]
    return {"at": plain(at), "rules": len(engine.rules.rules), "series": series}


def states(store: Any, settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
    frame = states_frame(store)
    if not body.get("all"):
        frame = frame.filter(frame.get_column("state") != "ok")
    return {"states": [{key: plain(value) for key, value in row.items()} for row in frame.iter_rows(named=True)]}


def recent_history(store: Any, settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
    try:
        since = parse_moment(body.get("since") or "7d", dt.datetime.now(dt.UTC))
    except ValueError as exc:
        raise AlertsOperationError(str(exc)) from None
    limit = int(body.get("limit") or 200)
    changes = history(store, since, body.get("rule"), body.get("agent"), limit)
    sent = outbox.recent(store, since, limit)
    return {"since": plain(since),
            "changes": [{key: plain(value) for key, value in row.items()} for row in changes.iter_rows(named=True)],
            "notifications": [{key: plain(value) for key, value in row.items()} for row in sent.iter_rows(named=True)]}
