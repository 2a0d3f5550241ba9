"""Layout pieces every page uses: the header with navigation and global filters, tables, cards, empty
states and number formats. Pure functions from values to Dash components; no data access.

A control that changes the view has the id {"type": "param", "key": <query key>}: one callback
(dashboards/app.py) writes its value into the URL, and the page renders again from the URL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import polars as pl
from dash import dcc, html

from dashboards.data_table import Cell, DataTable
from dashboards.filters import RANGES, REFRESH_CHOICES, View

NAV = (("/", "Overview"), ("/versions", "Versions"), ("/cost", "Cost"), ("/weekly", "Weekly review"),
       ("/tools", "Tools"), ("/sessions", "Sessions"), ("/alerts", "Alerts"))


@dataclass(frozen=True)
class Endpoints:
    """Where agents send traces, for the empty state's first-trace instructions."""

    grpc: str = "127.0.0.1:4317"
    http: str = "http://127.0.0.1:4318/v1/traces"


def param_id(key: str) -> dict[str, str]:
    return {"type": "param", "key": key}


def header(view: View, path: str, options: pl.DataFrame, tenants: list[str]) -> html.Header:
    links = [dcc.Link(label, href=href + view.global_query(), className="nav-link active" if _active(href, path) else "nav-link")
             for href, label in NAV]
    return html.Header([html.Div([html.Span("spanledger", className="brand"), html.Nav(links)], className="topbar"),
                        filter_bar(view, options, tenants)], className="header")


def filter_bar(view: View, options: pl.DataFrame, tenants: list[str]) -> html.Div:
    agents = sorted(set(options.get_column("agent_name").to_list())) if options.height else []
    scoped = options.filter(pl.col("agent_name") == view.agent) if view.agent and options.height else options
    versions = sorted(set(scoped.get_column("agent_version").to_list())) if scoped.height else []
    environments = sorted(set(options.get_column("environment").to_list())) if options.height else []
    ranges = [{"label": f"last {name}", "value": name} for name in RANGES]
    if view.range == "custom":
        ranges.insert(0, {"label": f"{view.since:%Y-%m-%d %H:%M} – {view.until:%Y-%m-%d %H:%M} UTC", "value": "custom"})
    return html.Div([
        _select("range", "Time", ranges, view.range, clearable=False),
        _select("tenant", "Tenant", _choices(sorted({*tenants, view.tenant})), view.tenant, clearable=False),
        _select("agent", "Agent", _choices(_keep(agents, view.agent)), view.agent, placeholder="all agents"),
        _select("version", "Version", _choices(_keep(versions, view.version)), view.version, placeholder="all versions"),
        _select("env", "Environment", _choices(_keep(environments, view.environment)), view.environment, placeholder="all"),
        _select("refresh", "Auto-refresh", [{"label": label, "value": str(seconds)} for seconds, label in REFRESH_CHOICES.items()],
                str(view.refresh) if view.refresh in REFRESH_CHOICES else None, clearable=False),
    ], className="filters")


def _select(key: str, label: str, options: list[dict[str, str]], value: str | None, clearable: bool = True,
            placeholder: str = "") -> html.Label:
    return html.Label([html.Span(label), dcc.Dropdown(id=param_id(key), options=options, value=value, clearable=clearable,
                                                      placeholder=placeholder, className="select")], className=f"filter filter-{key}")


def select(key: str, label: str, values: Sequence[str], value: str | None, placeholder: str = "", clearable: bool = True) -> html.Label:
    """A page's own dropdown that writes query key."""
    return _select(key, label, _choices(list(values)), value, clearable=clearable, placeholder=placeholder)


def text_input(key: str, label: str, value: str, placeholder: str = "", kind: Literal["text", "number"] = "text") -> html.Label:
    """A page's own text or number field that writes query key (on Enter or leaving the field)."""
    return html.Label([html.Span(label), dcc.Input(id=param_id(key), type=kind, value=value, placeholder=placeholder, debounce=True,
                                                   className="text-input")], className=f"filter filter-{key}")


def _choices(values: list[str]) -> list[dict[str, str]]:
    return [{"label": value or "(none)", "value": value} for value in values]


def _keep(values: list[str], chosen: str | None) -> list[str]:
    return values if chosen is None or chosen in values else [chosen, *values]


def _active(href: str, path: str) -> bool:
    return path == href if href == "/" else path == href or path.startswith(href + "/")


def page(title: str, *children: Any, subtitle: str = "") -> html.Div:
    heading = [html.H1(title)] + ([html.P(subtitle, className="subtitle")] if subtitle else [])
    return html.Div([html.Div(heading, className="page-heading"), *children], className="page")


def section(title: str, *children: Any, note: str = "") -> html.Section:
    head = [html.H2(title)] + ([html.Span(note, className="note")] if note else [])
    return html.Section([html.Div(head, className="section-heading"), *children], className="card")


def graph(graph_id: str, figure: Any) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=figure, config={"displayModeBar": False}, className="graph")


def stat(label: str, value: str, detail: str = "", tone: str = "") -> html.Div:
    return html.Div([html.Div(label, className="stat-label"), html.Div(value, className="stat-value"),
                     html.Div(detail, className="stat-detail")], className=f"stat {tone}".strip())


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    fmt: Callable[[Any], str] = str
    link: Callable[[dict[str, Any]], str] | None = None  # href of the cell, from the row
    numeric: bool = False
    cell: Callable[[dict[str, Any]], Cell] | None = None  # the cell's content from the row, instead of fmt(value)


def bar(share: float | None, over: bool = False) -> Cell:
    """A table cell's horizontal bar filled to share (0..1) of its width: a chart in a table, without a Plotly figure."""
    if share is None:
        return {"text": "—", "className": "muted"}
    return {"bar": min(max(share, 0.0), 1.0), "over": over}


def styled(text: str, class_name: str) -> Cell:
    """A table cell's text with a class (a warning colour, a muted dash)."""
    return {"text": text, "className": class_name}


def table(frame: pl.DataFrame, columns: Sequence[Column], table_id: str, sort_href: Callable[[str], str] | None = None,
          sortable: Sequence[str] = (), row_key: str | None = None) -> DataTable:
    """A table of frame's rows (one component: dashboards/data_table.py); sortable columns' headers link to
    sort_href(key)."""
    head: list[dict[str, Any]] = []
    for column in columns:
        label: Cell = column.label
        if sort_href is not None and column.key in sortable:
            label = {"text": column.label, "href": sort_href(column.key), "className": "sort-link"}
        head.append({"label": label, "numeric": column.numeric})
    rows = []
    for row in frame.iter_rows(named=True):
        cells: list[Cell] = []
        for column in columns:
            if column.cell:
                cells.append(column.cell(row))
                continue
            text = column.fmt(row.get(column.key))
            cells.append({"text": text, "href": column.link(row)} if column.link else text)
        rows.append({"key": str(row[row_key]), "cells": cells} if row_key else {"cells": cells})
    return DataTable(id=table_id, className="data-table", head=head, rows=rows)


def empty_state(tenant_has_spans: bool, endpoints: Endpoints, jobs_interval: float) -> html.Div:
    if tenant_has_spans:
        return html.Div([html.H2("Spans are arriving"), html.P(
            f"Sessions and rollups appear after the next jobs pass (every {jobs_interval:g} s). Reload in a moment.")],
            className="empty-state", id="empty-state")
    snippet = FIRST_TRACE.replace("{grpc}", endpoints.grpc)
    return html.Div([
        html.H2("No traces yet: send your first one"),
        html.P(["Point any OpenTelemetry exporter at spanledger: OTLP/gRPC on ", html.Code(endpoints.grpc), ", OTLP/HTTP on ",
                html.Code(endpoints.http), ". With the GenAI conventions (", html.Code("gen_ai.*"),
                " attributes), agents, sessions, tokens and cost are filled in for you."]),
        html.Pre(html.Code(snippet), className="snippet"),
        html.P(["Or run ", html.Code("spanledger serve --demo"), " for a synthetic fleet of agents."]),
    ], className="empty-state", id="empty-state")


FIRST_TRACE = """from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "my-agent", "service.version": "1.0.0"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="http://{grpc}", insecure=True)))
tracer = provider.get_tracer("quickstart")
with tracer.start_as_current_span("invoke_agent planner", attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner", "gen_ai.conversation.id": "session-1"}):
    with tracer.start_as_current_span("chat gpt-4o", attributes={
            "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300}):
        pass
provider.shutdown()"""


def notice(text: Any, tone: str = "info") -> html.Div:
    return html.Div(text, className=f"notice {tone}")


def session_href(view: View, session_id: str) -> str:
    return f"/sessions/{quote(session_id, safe='')}" + view.global_query()


def usd(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = float(value)
    if abs(value) >= 1 or value == 0:
        return f"${value:,.2f}"
    return f"${value:.4f}" if abs(value) >= 0.0001 else f"${value:.2e}"


def pct(value: Any) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{float(value) * 100:.1f}%"


def ms(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = float(value)
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def count(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, dt.datetime) else "—" if value is None else str(value)


def plain(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)
