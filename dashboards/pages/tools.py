"""Tools: which tools fail and which are slow. The tool-call distribution per version, and per tool its
calls, error rate and latency percentiles (merged rollup histograms, within 1% of exact)."""

from __future__ import annotations

from typing import Any

import polars as pl
from dash import dcc, html

from dashboards import components as ui
from dashboards import data, figures
from dashboards.filters import View

PATH = "/tools"
NAME = "Tools"
ROWS = 40  # the busiest tools first; all of them on request (a long table is slow to draw and to read)


def render(context: Any, view: View) -> Any:
    tools = data.tool_calls(context.store, view)
    if tools.is_empty():
        return ui.page("Tools", ui.notice("No tool calls in this range."))
    tools = tools.with_columns(pl.concat_str("agent_name", pl.lit(" "), "agent_version").alias("version_label"))
    columns = [ui.Column("version_label", "Agent and version"), ui.Column("tool", "Tool"),
               ui.Column("calls", "Calls", ui.count, numeric=True), ui.Column("share", "Share of version's calls", ui.pct, numeric=True),
               ui.Column("error_rate", "Error rate", ui.pct, numeric=True), ui.Column("ms_p50", "p50", ui.ms, numeric=True),
               ui.Column("ms_p95", "p95", ui.ms, numeric=True), ui.Column("ms_p99", "p99", ui.ms, numeric=True)]
    return ui.page(
        "Tools",
        ui.section("Distribution", ui.graph("tools-share", figures.grouped_bars(
            tools, "version_label", "share", "tool", "Share of tool calls per version", ".0%", barmode="stack"))),
        ui.section("Failures and latency", ui.graph("tools-health", figures.tool_scatter(tools, "version_label")),
                   note="size: calls"),
        ui.section("Per tool", *_rows(tools, columns, view)),
        subtitle=f"{view.since:%Y-%m-%d %H:%M} – {view.until:%Y-%m-%d %H:%M} UTC · calls count in the bucket their session started in",
    )


def _rows(tools: pl.DataFrame, columns: list[ui.Column], view: View) -> list[Any]:
    if tools.height <= ROWS or view.get("rows") == "all":
        return [ui.table(tools, columns, "tools-table")]
    busiest = tools.sort(["calls", "version_label", "tool"], descending=[True, False, False]).head(ROWS)
    more = dcc.Link(f"show all {tools.height}", href=PATH + view.query({"rows": "all"}), id="tools-all")
    return [ui.table(busiest, columns, "tools-table"),
            html.P([f"The {ROWS} busiest of {tools.height} tool rows · ", more], className="note")]
