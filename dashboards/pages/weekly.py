"""Weekly review: the ten most expensive sessions of any ISO week (tenant-wide, or of the agent filter),
each linking to its session; why each cost what it did (model mix, costliest spans); CSV and Markdown export."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import polars as pl
from dash import html

from dashboards import components as ui
from dashboards.filters import View
from dashboards.sessions_data import weekly_review, weeks_back
from jobs.time_ranges import iso_week

PATH = "/weekly"
NAME = "Weekly review"


def render(context: Any, view: View) -> Any:
    weeks = weeks_back(context.clock(), 12)
    week = view.get("week") or weeks[0]
    try:
        iso_week(week)
    except ValueError:
        week = weeks[0]
    frame, stored = weekly_review(context.store, view.tenant, week, view.agent)
    query = urlencode({key: value for key, value in (("week", week), ("tenant", view.tenant), ("agent", view.agent or "")) if value})
    exports = html.Div([html.A("Download CSV", href=f"/export/weekly-review.csv?{query}", id="export-csv", className="button"),
                        html.A("Download Markdown", href=f"/export/weekly-review.md?{query}", id="export-md", className="button")],
                       className="exports")
    source = ("As stored by the weekly review job." if stored else
              f"Ranked live from sessions: the weekly review has not stored this week yet (it runs {context.settings.weekly_review_cron}, UTC).")
    columns = [
        ui.Column("rank", "#", str, numeric=True),
        ui.Column("session_id", "Session", link=lambda row: ui.session_href(view, row["session_id"])),
        ui.Column("agent_name", "Agent"), ui.Column("agent_version", "Version"), ui.Column("outcome", "Outcome"),
        ui.Column("user_id", "User", ui.plain),
        ui.Column("cost_usd", "Cost", ui.usd, numeric=True), ui.Column("duration_ms", "Duration", ui.ms, numeric=True),
        ui.Column("input_tokens", "Tokens in", ui.count, numeric=True), ui.Column("output_tokens", "Tokens out", ui.count, numeric=True),
        ui.Column("steps", "Steps", ui.count, numeric=True),
        ui.Column("why", "Where the cost went"),
    ]
    rows = frame.with_columns(pl.Series("why", _why_column(frame), dtype=pl.String)) if frame.height else frame
    body = (ui.table(rows, columns, "weekly-table", row_key="session_id") if frame.height
            else ui.notice(f"No sessions started in {week}" + (f" for {view.agent}." if view.agent else ".")))
    return ui.page(
        f"Top {frame.height or 10} most expensive sessions · {week}",
        html.Div([ui.select("week", "ISO week", weeks if week in weeks else [week, *weeks], week, clearable=False), exports],
                 className="filters inline"),
        ui.notice(source, "info"),
        ui.section(f"{view.agent or 'All agents'} · {view.tenant}", body),
        subtitle="A session counts in the week it started in; running sessions count with their cost so far.",
    )


def _why_column(frame: Any) -> list[str]:
    """Per row, the models its cost went to (stored reviews carry the model mix; live ones the call counts)."""
    if "model_mix" not in frame.columns:
        return [f"{row['model_calls']} model calls, {row['tool_calls']} tool calls" for row in frame.iter_rows(named=True)]
    out = []
    for text in frame.get_column("model_mix").to_list():
        mix = json.loads(text or "[]")[:2]
        out.append(", ".join(f"{item['model']} {item['calls']}× ${item['cost_usd']:.3f}" for item in mix) or "—")
    return out
