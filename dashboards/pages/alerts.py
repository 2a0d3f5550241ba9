"""Alerts: the rules of the rules file, the current state of every series that is not ok (firing first), the
state changes in the view's range and the notifications sent for them, with their delivery status."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from dash import html

from dashboards import components as ui
from dashboards.alerts_data import alert_history, alert_notifications, alert_rules, alert_states
from dashboards.filters import View
from dashboards.login import principal

PATH = "/alerts"
NAME = "Alerts"
NEEDS_DATA = False


def render(context: Any, view: View) -> Any:
    rules, problem = alert_rules(context.settings)
    states = alert_states(context.store, view)
    history = alert_history(context.store, view)
    notes = alert_notifications(context.store, view)
    if not principal().is_admin:  # rules and notifications span every tenant: a viewer sees their tenant's states only
        rules, problem, notes = rules.clear(), "Rules and notifications cover every tenant: admins only.", notes.clear()
    firing = states.filter(pl.col("state") == "firing").height if states.height else 0
    pending = states.filter(pl.col("state") == "pending").height if states.height else 0
    stats = html.Div([
        ui.stat("Rules", ui.count(rules.height), "in the rules file"),
        ui.stat("Firing", ui.count(firing), "series now", "warn" if firing else ""),
        ui.stat("Pending", ui.count(pending), "held for their for:"),
        ui.stat("Changes", ui.count(history.height), "in this range"),
        ui.stat("Undelivered", ui.count(notes.filter(pl.col("status") != "sent").height if notes.height else 0),
                "notifications pending or failed"),
    ], className="stats")
    rule_table = ui.table(rules, [ui.Column("name", "Rule"), ui.Column("kind", "Kind"), ui.Column("condition", "Fires when"),
                                  ui.Column("scope", "Scope"), ui.Column("for", "For"), ui.Column("severity", "Severity"),
                                  ui.Column("channels", "Channels")], "alert-rules-table", row_key="name")
    states = states.with_columns(pl.format("{} {}", pl.col("rule"), pl.col("series_key")).alias("key"),
                                 pl.col("labels").map_elements(_series_text, return_dtype=pl.String).alias("series")) \
        if states.height else states
    state_table = ui.table(states, [
        ui.Column("state", "State"), ui.Column("rule", "Rule"), ui.Column("series", "Series", link=lambda row: _series_link(view, row)),
        ui.Column("state_since", "Since", ui.when), ui.Column("value", "Value", _num, numeric=True),
        ui.Column("threshold", "Threshold", _num, numeric=True), ui.Column("summary", "What")], "alert-states-table", row_key="key")
    history = history.with_columns(pl.format("{} → {}", pl.col("from_state"), pl.col("to_state")).alias("change"),
                                   pl.when(pl.col("silenced") == 1).then(pl.lit("silenced")).otherwise(pl.lit("")).alias("muted"),
                                   pl.format("{} {}", pl.col("rule"), pl.col("series_key")).alias("key")) if history.height else history
    history_table = ui.table(history, [
        ui.Column("at", "At", ui.when), ui.Column("rule", "Rule"), ui.Column("agent_name", "Agent"), ui.Column("change", "Change"),
        ui.Column("value", "Value", _num, numeric=True), ui.Column("muted", ""), ui.Column("summary", "What")],
        "alert-history-table", row_key="key")
    note_table = ui.table(notes, [
        ui.Column("created_at", "Created", ui.when), ui.Column("rule", "Rule", ui.plain), ui.Column("kind", "Kind"),
        ui.Column("channel", "Channel"), ui.Column("status", "Status"), ui.Column("attempts", "Attempts", ui.count, numeric=True),
        ui.Column("sent_at", "Sent", ui.when), ui.Column("last_error", "Last error", ui.plain)], "alert-notifications-table")
    return ui.page(
        "Alerts", stats,
        ui.section("Rules", ui.notice(problem, "warn") if problem else rule_table,
                   note="from SPANLEDGER_ALERTS_RULES_FILE; evaluated after each rollup pass"),
        ui.section("Current state", state_table if states.height else ui.notice("Every series is ok: nothing firing or pending."),
                   note="series not ok, firing first"),
        ui.section("Firing history", history_table if history.height else ui.notice("No alert changed state in this range."),
                   note=f"{view.since:%Y-%m-%d %H:%M} – {view.until:%Y-%m-%d %H:%M} UTC"),
        ui.section("Notifications", note_table if notes.height else ui.notice("No notification was sent in this range."),
                   note="all agents and tenants; the outbox retries with backoff until delivered"),
        subtitle=f"{view.tenant}" + (f" · {view.agent}" if view.agent else ""),
    )


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:,.6g}"


def _series_text(labels: str) -> str:
    return " ".join(f"{key}={value}" for key, value in json.loads(labels or "{}").items() if key != "tenant")


def _series_link(view: View, row: dict[str, Any]) -> str:
    labels = json.loads(row["labels"] or "{}")
    if "session_id" in labels:
        return ui.session_href(view, labels["session_id"])
    return "/" + view.with_agent(labels["agent"]).query() if labels.get("agent") else "/" + view.query()
