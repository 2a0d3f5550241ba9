"""Alerts: rules, their current state and firing history. Alerting has its own issue and has not
landed: the page shows what it will hold and that nothing is configured yet."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboards import components as ui
from dashboards.data import active_alerts
from dashboards.filters import View

PATH = "/alerts"
NAME = "Alerts"
NEEDS_DATA = False


def render(context: Any, view: View) -> Any:
    firing = active_alerts(view)
    return ui.page(
        "Alerts",
        html.Div([html.H2("No alert rules yet"),
                  html.P("Alerting is not part of this release. Once it lands, this page lists each rule (metric, agent, "
                         "threshold, window), whether it is firing now, and when it fired and resolved."),
                  html.P(["Until then, budgets set in ", html.Code("SPANLEDGER_BUDGETS_FILE"),
                          " show on the overview against each agent's spend today, and ", html.Code("spanledger gate"),
                          " checks a canary against its baseline in CI."])], className="empty-state", id="alerts-empty"),
        ui.section("Rules", ui.notice("No rules configured.")),
        ui.section("Current state", ui.notice(f"{firing.height} alerts firing.")),
        ui.section("Firing history", ui.notice("Nothing has fired.")),
    )
