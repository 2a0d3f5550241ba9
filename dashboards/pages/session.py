"""A session: what exactly happened. Its trace waterfall (spans as bars on one time axis, nested by
parent, coloured by operation, errors in red) and per span its model, tokens, cost, status, attributes
and exception events. Clicking a bar or a row selects the span (kept in the URL as ?span=)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import polars as pl
from dash import Dash, Input, Output, State, html, no_update

from dashboards import components as ui
from dashboards.filters import View, parse_query_string, query_string
from dashboards.sessions_data import session_row, session_spans
from dashboards.waterfall import tree_order, waterfall_figure

PATH = "/sessions/session"
PATH_TEMPLATE = "/sessions/<session_id>"
PATH_VALUES = ("session_id",)
NAME = "Session"
NEEDS_DATA = False  # a session's spans can be shown before the jobs computed its row


def render(context: Any, view: View, session_id: str) -> Any:
    session_id = unquote(session_id)
    row = session_row(context.store, view.tenant, session_id)
    spans = session_spans(context.store, view.tenant, session_id, row, context.settings.retention_days)
    if spans.is_empty():
        return ui.page(f"Session {session_id}", ui.notice(f"No spans of session {session_id} in tenant {view.tenant}.", "warn"))
    ordered = tree_order(spans)
    selected = _selected(ordered, view.get("span"))
    self_href = f"/sessions/{session_id}"
    columns = [
        ui.Column("label", "Span", link=lambda r: self_href + view.query({"span": r["span_id"]})),
        ui.Column("operation", "Operation"), ui.Column("kind", "Kind"), ui.Column("status_code", "Status"),
        ui.Column("model", "Model", ui.plain), ui.Column("tokens", "Tokens in / out"),
        ui.Column("cost_usd", "Cost", ui.usd, numeric=True), ui.Column("duration_ms", "Duration", ui.ms, numeric=True)]
    listing = ordered.with_columns(
        (pl.lit("· ").repeat_by(pl.col("depth")).list.join("") + pl.col("name")).alias("label"),
        pl.when(pl.col("response_model") != "").then(pl.col("response_model")).otherwise(pl.col("request_model")).alias("model"),
        pl.format("{} / {}", "input_tokens", "output_tokens").alias("tokens"))
    return ui.page(
        f"Session {session_id}",
        _summary(row, spans),
        ui.section("Trace waterfall", ui.graph("waterfall", waterfall_figure(ordered)),
                   note="nested by parent · colour: operation, red: error · click a bar for its details"),
        ui.section("Selected span", html.Div(span_detail(selected), id="span-detail")),
        ui.section(f"{ordered.height} spans", ui.table(listing, columns, "spans-table", row_key="span_id")),
        subtitle=f"tenant {view.tenant}",
    )


def _summary(row: dict[str, Any] | None, spans: pl.DataFrame) -> Any:
    if row is None:
        return ui.notice("This session's totals are not computed yet (the next jobs pass does); its spans are shown below.")
    return html.Div([
        ui.stat("Agent", f"{row['agent_name']} {row['agent_version']}", row["environment"]),
        ui.stat("Outcome", row["outcome"], "finished" if row["finished"] else "still running",
                "error" if row["outcome"] == "failed" else ""),
        ui.stat("Cost", ui.usd(row["cost_usd"]), f"{row['unpriced_spans']} unpriced calls" if row["unpriced_spans"] else ""),
        ui.stat("Duration", ui.ms(row["duration_ms"]), f"started {row['first_start']:%Y-%m-%d %H:%M:%S} UTC"),
        ui.stat("Tokens", f"{row['input_tokens']:,} / {row['output_tokens']:,}", "in / out"),
        ui.stat("Spans", ui.count(row["spans"]), f"{row['model_calls']} model, {row['tool_calls']} tool, {row['error_spans']} errors"),
        ui.stat("User", row["user_id"] or "—", row["segment"]),
    ], className="stats")


def _selected(ordered: pl.DataFrame, span_id: str) -> dict[str, Any]:
    chosen = ordered.filter(pl.col("span_id") == span_id) if span_id else ordered.head(0)
    if chosen.is_empty():
        chosen = ordered.filter(pl.col("status_code") == "ERROR").head(1)
    return (chosen if chosen.height else ordered).row(0, named=True)


def span_detail(span: dict[str, Any]) -> Any:
    model = span["response_model"] or span["request_model"]
    facts = [("Span id", span["span_id"]), ("Trace id", span["trace_id"]), ("Parent", span["parent_span_id"] or "—"),
             ("Operation", span["operation"]), ("Kind", span["kind"]),
             ("Status", span["status_code"] + (f": {span['status_message']}" if span["status_message"] else "")),
             ("Model", model or "—"), ("Tool", span["tool_name"] or "—"),
             ("Tokens", f"in {span['input_tokens']:,} (cache read {span['cache_read_tokens']:,}, write {span['cache_write_tokens']:,}) "
                        f"· out {span['output_tokens']:,} (reasoning {span['reasoning_tokens']:,})"),
             ("Cost", f"{ui.usd(span['cost_usd'])} ({span['cost_source']})"), ("Duration", ui.ms(span["duration_ms"])),
             ("Started", f"{span['start_time']:%Y-%m-%d %H:%M:%S.%f} UTC")]
    attributes = sorted((span["attributes"] or {}).items())
    events = span["events"] or []
    return html.Div([
        html.H3(span["name"], id="span-detail-name", **{"data-span-id": span["span_id"]}),
        html.Dl([part for key, value in facts for part in (html.Dt(key), html.Dd(value))], className="facts"),
        html.H4("Exception events" if any(event["name"] == "exception" for event in events) else "Events"),
        html.Div([html.Div([html.Strong(f"{event['name']} at {event['time']:%H:%M:%S.%f}"),
                            html.Pre(_event_text(event["attributes"]))], className="event") for event in events]
                 or [html.P("none", className="muted")], className="events"),
        html.H4("Attributes"),
        html.Table([html.Tr([html.Td(key), html.Td(html.Code(value))]) for key, value in attributes], className="attributes"),
    ])


def _event_text(attributes: Any) -> str:
    pairs = dict(attributes or {})
    message = pairs.pop("exception.stacktrace", None)
    text = "\n".join(f"{key}: {value}" for key, value in sorted(pairs.items()))
    return text + (f"\n\n{message}" if message else "")


def register(app: Dash, context: Any) -> None:
    @app.callback(Output("url", "search", allow_duplicate=True), Input("waterfall", "clickData"), State("url", "search"),
                  prevent_initial_call=True)
    def select_span(click: dict[str, Any] | None, search: str | None) -> Any:
        """Clicking a bar selects its span: ?span= in the URL, which renders its details."""
        if not click or not click.get("points"):
            return no_update
        span_id = click["points"][0]["customdata"][0]
        values = parse_query_string(search)
        if values.get("span") == span_id:
            return no_update
        return query_string({**values, "span": span_id})

