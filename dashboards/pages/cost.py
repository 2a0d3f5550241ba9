"""Cost: where the money goes. Spend over time by agent, version or model; the cost-per-session
distribution with p50/p95/p99 marked; cost per model call by model; models without a price called out."""

from __future__ import annotations

from typing import Any

import polars as pl
from dash import html

from dashboards import components as ui
from dashboards import data, figures
from dashboards.filters import View

PATH = "/cost"
NAME = "Cost"
_BY = {"agent": "agent_name", "version": "version", "model": "model"}


def render(context: Any, view: View) -> Any:
    by = view.get("by", "agent") if view.get("by") in _BY else "agent"
    if by == "model":
        spend = data.model_buckets(context.store, view).select("bucket", pl.col("model").alias("series"), "cost_usd")
    else:
        buckets = data.agent_buckets(context.store, view)
        series = pl.col("agent_name") if by == "agent" else pl.concat_str("agent_name", pl.lit(" "), "agent_version")
        spend = buckets.select("bucket", series.alias("series"), pl.col("spend_usd").alias("cost_usd"))
    if spend.height:  # rollup buckets summed into the view's chart buckets
        spend = (spend.with_columns(pl.col("bucket").dt.truncate(f"{view.bucket_seconds}s"))
                 .group_by("bucket", "series").agg(pl.col("cost_usd").sum()))
    histogram, marks = data.cost_distribution(context.store, view)
    models = data.model_costs(data.model_buckets(context.store, view))
    unpriced = models.filter(pl.col("unpriced_calls") > 0) if models.height else models
    callout = (ui.notice([html.Strong("Unpriced models: "),
                          ", ".join(f"{row['model']} ({row['unpriced_calls']:,} calls)" for row in unpriced.iter_rows(named=True)),
                          ". Their calls count as $0 here: add them to a price file (SPANLEDGER_PRICE_FILE)."], "warn")
               if unpriced.height else None)
    # Mean cost per call by model as bars in the table's rows (a Plotly figure would cost the page about 60 ms
    # to draw); models with unpriced calls are red, or say so when none of their calls has a price.
    models = models.sort("cost_per_call_usd", descending=True, nulls_last=True) if models.height else models
    most = float(models.get_column("cost_per_call_usd").max() or 0.0) if models.height else 0.0  # type: ignore[arg-type]
    columns = [ui.Column("model", "Model"), ui.Column("calls", "Calls", ui.count, numeric=True),
               ui.Column("cost_usd", "Cost", ui.usd, numeric=True), ui.Column("cost_per_call_usd", "Cost / call", ui.usd, numeric=True),
               ui.Column("cost_per_call_usd", "", cell=lambda row: ui.styled("unpriced: counted as $0", "unpriced")
                         if row["unpriced_calls"] and not row["cost_per_call_usd"]
                         else ui.bar((row["cost_per_call_usd"] or 0.0) / most if most else None, over=row["unpriced_calls"] > 0)),
               ui.Column("tokens_per_call", "Tokens / call", ui.count, numeric=True),
               ui.Column("unpriced_calls", "Unpriced calls", ui.count, numeric=True)]
    return ui.page(
        "Cost",
        callout,
        html.Div([ui.select("by", "Spend by", list(_BY), by, clearable=False)], className="filters inline"),
        ui.section("Spend over time", ui.graph("cost-spend", figures.stacked_bars(spend, "bucket", "cost_usd", "series",
                                                                                 f"Spend by {by} (USD per {view.bucket_label} bucket)", "$.2f"))),
        ui.section("Cost per session", ui.graph("cost-distribution", figures.cost_histogram(histogram, marks)),
                   html.P(f"p50 {ui.usd(marks['p50'])} · p95 {ui.usd(marks['p95'])} · p99 {ui.usd(marks['p99'])}",
                          id="cost-marks", className="marks")),
        ui.section("Cost per model call", ui.table(models, columns, "cost-models-table", row_key="model") if models.height
                   else ui.notice("No model calls in this range."), note="mean cost per call by model; red: the model has unpriced calls"),
        subtitle=f"{view.since:%Y-%m-%d %H:%M} – {view.until:%Y-%m-%d %H:%M} UTC · sessions count in the bucket they started in",
    )
