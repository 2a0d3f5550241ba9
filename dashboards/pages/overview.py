"""Overview: is each agent healthy? Per agent and version over the range: sessions, success rate, p95
latency, cost per session p95 and p99, spend; per agent: spend today against budget and active alerts;
trends over the range."""

from __future__ import annotations

from typing import Any

import polars as pl
from dash import html

from dashboards import components as ui
from dashboards import data, figures
from dashboards.alerts_data import active_alerts
from dashboards.filters import View

PATH = "/"
NAME = "Overview"


def render(context: Any, view: View) -> Any:
    now = context.clock()
    table, trends = data.overview_figures(context.store, view)
    budgets = data.budgets_today(context.store, view, now)
    alerts = active_alerts(context.store, view)
    if table.is_empty():
        return ui.page("Overview", ui.notice("No sessions started in this range. Widen the time range or clear a filter."))
    finished = int(table.get_column("finished").sum())
    resolved = int(table.get_column("resolved").sum())
    stats = html.Div([
        ui.stat("Sessions", ui.count(table.get_column("sessions").sum()), f"{finished:,} finished"),
        ui.stat("Success rate", ui.pct(resolved / finished if finished else None), "resolved / finished"),
        ui.stat("Spend", ui.usd(table.get_column("spend_usd").sum()), "in this range"),
        ui.stat("Spend today", ui.usd(budgets.get_column("spend_today_usd").sum() if budgets.height else 0.0), "UTC day"),
        ui.stat("Active alerts", ui.count(alerts.height), "firing now", "warn" if alerts.height else ""),
        ui.stat("Unpriced calls", ui.count(table.get_column("unpriced_spans").sum()), "model calls without a price",
                "warn" if table.get_column("unpriced_spans").sum() else ""),
    ], className="stats")
    rows = (table.join(budgets, on="agent_name", how="left")
            .join(alerts.group_by("agent_name").agg(pl.len().alias("alerts")), on="agent_name", how="left")
            .with_columns(pl.col("alerts").fill_null(0)))
    columns = [
        ui.Column("agent_name", "Agent", link=lambda row: "/" + view.with_agent(row["agent_name"]).query()),
        ui.Column("agent_version", "Version"),
        ui.Column("sessions", "Sessions", ui.count, numeric=True),
        ui.Column("success_rate", "Success", ui.pct, numeric=True),
        ui.Column("session_ms_p95", "Latency p95", ui.ms, numeric=True),
        ui.Column("cost_p95", "Cost/session p95", ui.usd, numeric=True),
        ui.Column("cost_p99", "Cost/session p99", ui.usd, numeric=True),
        ui.Column("spend_usd", "Spend", ui.usd, numeric=True),
        ui.Column("spend_today_usd", "Agent spend today", ui.usd, numeric=True),
        ui.Column("daily_budget_usd", "Daily budget", ui.usd, numeric=True),
        ui.Column("alerts", "Alerts", ui.count, numeric=True),
    ]
    trends = trends.with_columns((pl.col("session_ms_p95") / 1000).alias("session_s_p95")) if trends.height else trends
    return ui.page(
        "Overview", stats,
        ui.section("Agents and versions", ui.table(rows, columns, "overview-table"),
                   note="percentiles are exact over finished sessions that started in the range"),
        ui.section("Spend today against budget", _budgets(budgets), note="UTC day; budgets from SPANLEDGER_BUDGETS_FILE"),
        ui.section("Trends", ui.graph("overview-trends", figures.small_multiples(trends, "bucket", "agent_name", [
            ("sessions", "Sessions started", ""), ("success_rate", "Success rate (resolved / finished)", ".1%"),
            ("session_s_p95", "Session latency p95 (s)", ""), ("spend_usd", "Spend (USD)", "$.2f")])),
                   note=f"per agent, {view.bucket_label} buckets of session start"),
        subtitle=f"{view.since:%Y-%m-%d %H:%M} – {view.until:%Y-%m-%d %H:%M} UTC · {view.tenant}",
    )


def _budgets(budgets: pl.DataFrame) -> Any:
    """Each agent's spend today as a bar against its daily budget (a bare figure where none is set)."""
    if budgets.is_empty():
        return ui.notice("No spend today yet.")
    rows = budgets.with_columns(share=pl.when(pl.col("daily_budget_usd") > 0).then(pl.col("spend_today_usd") / pl.col("daily_budget_usd")))
    columns = [
        ui.Column("agent_name", "Agent"),
        ui.Column("spend_today_usd", "Spend today", ui.usd, numeric=True),
        ui.Column("daily_budget_usd", "Daily budget", ui.usd, numeric=True),
        ui.Column("share", "", cell=lambda row: ui.bar(row["share"], over=row["share"] > 1) if row["share"] is not None
                  else ui.styled("no budget set", "muted")),
        ui.Column("share", "Used", numeric=True, cell=lambda row: ui.styled(ui.pct(row["share"]), "over")
                  if row["share"] is not None and row["share"] > 1 else ui.pct(row["share"])),
    ]
    return ui.table(rows, columns, "budgets-table", row_key="agent_name")
