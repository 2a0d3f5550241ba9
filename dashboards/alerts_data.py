"""What the alerts page and the overview's alert figures show, as Polars frames: the rules of the rules file,
the current alert states, the state changes and the notifications (sql/queries/ui_alert_*.sql)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from alerts.rules import AlertRulesError, describe_rule, load_rules
from dashboards.filters import View
from jobs.time_ranges import param
from spanledger.settings import Settings

RULE_SCHEMA = {"name": pl.String, "kind": pl.String, "condition": pl.String, "scope": pl.String, "for": pl.String,
               "severity": pl.String, "channels": pl.String}


def alert_rules(settings: Settings) -> tuple[pl.DataFrame, str]:
    """The rules file's rules (one row each) and a problem to show instead ('' when it loaded)."""
    if settings.alerts_rules_file is None:
        return pl.DataFrame(schema=RULE_SCHEMA), "No rules file: set SPANLEDGER_ALERTS_RULES_FILE to a YAML file of rules."
    try:
        rules = load_rules(settings.alerts_rules_file)
    except AlertRulesError as exc:
        return pl.DataFrame(schema=RULE_SCHEMA), str(exc)
    rows = [{"name": rule.name, "kind": rule.kind, "condition": describe_rule(rule),
             "scope": " ".join(f"{key}={getattr(rule, key)}" for key in ("tenant", "agent", "version", "environment")
                               if getattr(rule, key)) or "all agents",
             "for": str(rule.for_) if rule.for_.total_seconds() else "at once", "severity": rule.severity,
             "channels": ", ".join(rule.channels) or "all configured"} for rule in rules.rules]
    return pl.DataFrame(rows, schema=RULE_SCHEMA), ""


def alert_states(store: Any, view: View) -> pl.DataFrame:
    """Series not ok (firing, pending, resolved) of the view's tenant and agent, firing first."""
    return store.frame("ui_alert_states", view.params())  # type: ignore[no-any-return]


def alert_history(store: Any, view: View) -> pl.DataFrame:
    return store.frame("ui_alert_history", _up_to_now(view))  # type: ignore[no-any-return]


def alert_notifications(store: Any, view: View) -> pl.DataFrame:
    return store.frame("ui_alert_notifications", _up_to_now(view))  # type: ignore[no-any-return]


def _up_to_now(view: View) -> dict[str, Any]:
    """The view's parameters; a preset range ("last 24h") also takes in the current minute, which the view's
    whole-minute cut leaves out, so a change of a moment ago shows."""
    params = view.params()
    if view.range != "custom":
        params["until"] = param(view.until + dt.timedelta(minutes=1))
    return params


def active_alerts(store: Any, view: View) -> pl.DataFrame:
    """Firing alerts of the view's tenant (and agent): agent_name, rule, state, since."""
    states = alert_states(store, view)
    if states.is_empty():
        return pl.DataFrame(schema={"agent_name": pl.String, "rule": pl.String, "state": pl.String, "since": pl.Datetime("us", "UTC")})
    return states.filter(pl.col("state") == "firing").select("agent_name", "rule", "state", pl.col("state_since").alias("since"))
