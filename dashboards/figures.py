"""Plotly figures of the dashboards: pure functions from Polars frames to figures, no data access.

Figures are built as plain Plotly JSON (dicts), not graph_objects: validating a figure object costs
tens of milliseconds per figure, which a page with six charts cannot spend within its render budget.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import plotly.io as pio
import polars as pl

Figure = dict[str, Any]
HEIGHT = 300


@cache
def template() -> dict[str, Any]:
    """The layout part of the plotly_white template as JSON, resolved once (the browser knows no template
    names; the per-trace-type defaults would triple what every figure carries and change nothing here)."""
    return {"layout": pio.templates["plotly_white"].to_plotly_json()["layout"]}


def layout(title: str = "", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"template": template(), "height": HEIGHT, "margin": {"l": 56, "r": 16, "t": 36, "b": 40},
                            "legend": {"orientation": "h", "y": -0.2}, "hovermode": "x unified", "font": {"size": 12},
                            "title": {"text": title, "x": 0, "font": {"size": 14}}}
    return {**base, **changes}


def values(frame: pl.DataFrame, column: str) -> list[Any]:
    """A column as JSON-ready values: times as ISO text, which Plotly reads as dates (raw datetimes reach
    the browser as epoch numbers)."""
    series = frame.get_column(column)
    if series.dtype.is_temporal():
        return series.dt.strftime("%Y-%m-%dT%H:%M:%S").to_list()
    return series.to_list()


def empty_figure(message: str) -> Figure:
    return {"data": [], "layout": layout(hovermode=False, xaxis={"visible": False}, yaxis={"visible": False},
                                         annotations=[{"text": message, "showarrow": False, "font": {"size": 14, "color": "#6b7280"}}])}


def lines(frame: pl.DataFrame, x: str, y: str, series: str, title: str, y_format: str = "") -> Figure:
    """One line per value of series."""
    if frame.is_empty():
        return empty_figure("no sessions in this range")
    data = []
    for name in sorted(set(frame.get_column(series).to_list())):
        part = frame.filter(pl.col(series) == name).sort(x)
        data.append({"type": "scatter", "mode": "lines+markers", "marker": {"size": 4}, "name": str(name),
                     "x": values(part, x), "y": values(part, y)})
    return {"data": data, "layout": layout(title, yaxis={"tickformat": y_format})}


def small_multiples(frame: pl.DataFrame, x: str, series: str, panels: list[tuple[str, str, str]]) -> Figure:
    """One line chart per (column, title, tick format) panel in a two-column grid, one colour per series
    value across all panels. One figure draws several times faster than as many separate ones."""
    if frame.is_empty():
        return empty_figure("no sessions in this range")
    names = sorted(set(frame.get_column(series).to_list()))
    colours = template()["layout"]["colorway"]
    rows = (len(panels) + 1) // 2
    data, annotations, axes = [], [], {}
    for index, (column, title, tick_format) in enumerate(panels):
        suffix = "" if index == 0 else str(index + 1)
        for number, name in enumerate(names):
            part = frame.filter(pl.col(series) == name).sort(x)
            data.append({"type": "scatter", "mode": "lines", "name": str(name),
                         "legendgroup": str(name), "showlegend": index == 0, "line": {"color": colours[number % len(colours)], "width": 1.5},
                         "x": values(part, x), "y": values(part, column),
                         "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
        # Fixed tick counts and angle: Plotly then measures far fewer labels (about 30 ms of a page's 1 s).
        axes[f"yaxis{suffix}"] = {"tickformat": tick_format, "nticks": 5}
        axes[f"xaxis{suffix}"] = {"tickangle": 0, "nticks": 6}
        annotations.append({"text": f"<b>{title}</b>", "xref": f"x{suffix} domain", "yref": f"y{suffix} domain", "x": 0, "y": 1.02,
                            "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 13}})
    return {"data": data, "layout": layout("", height=260 * rows + 60, annotations=annotations, hovermode="x",
                                           grid={"rows": rows, "columns": 2, "pattern": "independent", "ygap": 0.3, "xgap": 0.08},
                                           margin={"l": 56, "r": 16, "t": 30, "b": 40}, legend={"orientation": "h", "y": -0.08},
                                           **axes)}


def stacked_bars(frame: pl.DataFrame, x: str, y: str, series: str, title: str, y_format: str = "") -> Figure:
    """Bars over x stacked by series (spend over time by agent, version or model), the largest series first."""
    if frame.is_empty():
        return empty_figure("no spend in this range")
    totals = frame.group_by(series).agg(pl.col(y).sum()).sort([y, series], descending=[True, False])
    data = []
    for name in totals.get_column(series).to_list():
        part = frame.filter(pl.col(series) == name).sort(x)
        data.append({"type": "bar", "name": str(name), "x": values(part, x), "y": values(part, y)})
    return {"data": data, "layout": layout(title, barmode="stack", yaxis={"tickformat": y_format})}


def cost_histogram(histogram: pl.DataFrame, marks: dict[str, float | None]) -> Figure:
    """Cost per finished session on log-spaced bins, with p50 / p95 / p99 marked. The axis is linear in
    log10(USD) with dollar tick labels, so each bin is one even-width bar; sessions that cost $0 get a bar
    of their own left of the rest."""
    if histogram.is_empty():
        return empty_figure("no finished sessions in this range")
    priced = histogram.filter(pl.col("bin_start") > 0)
    free = int(histogram.filter(pl.col("bin_start") <= 0).get_column("sessions").sum())
    if priced.is_empty():
        return {"data": [{"type": "bar", "x": ["$0"], "y": [free], "name": "sessions"}], "layout": layout("Cost per finished session")}
    starts = [math.log10(value) for value in priced.get_column("bin_start").to_list()]
    ends = [math.log10(value) for value in priced.get_column("bin_end").to_list()]
    width = ends[0] - starts[0]
    x = [(start + end) / 2 for start, end in zip(starts, ends)]
    counts = priced.get_column("sessions").to_list()
    labels = [f"${10 ** start:.3g} – ${10 ** end:.3g}" for start, end in zip(starts, ends)]
    if free:
        x, counts, labels = [starts[0] - width * 1.5, *x], [free, *counts], ["$0", *labels]
    data = [{"type": "bar", "x": x, "y": counts, "width": width * 0.95, "customdata": labels, "name": "sessions",
             "hovertemplate": "%{customdata}: %{y} sessions<extra></extra>", "marker": {"color": "#2563eb"}}]
    shapes, notes = [], []
    for name, colour in (("p50", "#16a34a"), ("p95", "#d97706"), ("p99", "#dc2626")):
        value = marks.get(name)
        if value:
            position = math.log10(value)
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": position, "x1": position, "y0": 0, "y1": 1,
                           "line": {"color": colour, "dash": "dash", "width": 2}})
            # p99 is labelled right of its line, the others left of theirs: p95 and p99 are often close.
            notes.append({"xref": "x", "yref": "paper", "x": position, "y": 1, "yanchor": "bottom", "showarrow": False,
                          "xanchor": "left" if name == "p99" else "right", "text": f"{name} ${value:.3g}", "font": {"color": colour}})
    ticks = list(range(math.floor(min(x)), math.ceil(max(ends)) + 1))
    return {"data": data, "layout": layout("Cost per finished session", hovermode="closest", shapes=shapes, annotations=notes,
                                           yaxis={"title": {"text": "sessions"}},
                                           xaxis={"title": {"text": "USD per session (log scale)"}, "tickmode": "array",
                                                  "tickvals": ticks, "ticktext": [f"${10 ** tick:g}" for tick in ticks]})}


def grouped_bars(frame: pl.DataFrame, x: str, y: str, series: str, title: str, y_format: str = "", barmode: str = "group") -> Figure:
    """Bars per x, one colour per series (tool metrics per version)."""
    if frame.is_empty():
        return empty_figure("no tool calls in this range")
    data = []
    for name in sorted(set(frame.get_column(series).to_list())):
        part = frame.filter(pl.col(series) == name)
        data.append({"type": "bar", "name": str(name), "x": values(part, x), "y": values(part, y)})
    return {"data": data, "layout": layout(title, hovermode="closest", barmode=barmode, yaxis={"tickformat": y_format},
                                           **category_axis(frame.get_column(x).cast(pl.String).to_list()))}


def category_axis(labels: list[str]) -> dict[str, Any]:
    """Slanted category labels with the margin they need, set here rather than found by Plotly, which
    measures every label in the browser, several times over, to choose an angle and a margin."""
    longest = max((len(label) for label in labels), default=0)
    return {"xaxis": {"tickangle": -35, "automargin": False},
            "margin": {"l": 56, "r": 16, "t": 36, "b": min(40 + int(longest * 4.2), 180)}}



def tool_scatter(tools: pl.DataFrame, series: str) -> Figure:
    """One point per (tool, series): error rate across, p95 latency up, size by calls, so the tools that
    fail and the tools that are slow stand out in one picture."""
    if tools.is_empty():
        return empty_figure("no tool calls in this range")
    largest = max(tools.get_column("calls").max() or 1, 1)  # type: ignore[type-var]
    labelled = tools.height <= 24  # beyond that, names on every point are clutter (and slow to lay out): hover shows them
    data = []
    for name in sorted(set(tools.get_column(series).to_list())):
        part = tools.filter(pl.col(series) == name)
        data.append({"type": "scatter", "mode": "markers+text" if labelled else "markers", "name": str(name), "x": values(part, "error_rate"),
                     "y": values(part, "ms_p95"), "text": values(part, "tool"), "textposition": "top center",
                     "customdata": values(part, "calls"),
                     "marker": {"size": [8 + 22 * (calls / largest) ** 0.5 for calls in part.get_column("calls").to_list()],
                                "opacity": 0.75},
                     "hovertemplate": "%{text}: %{customdata} calls, %{x:.1%} errors, p95 %{y:.0f} ms<extra>" + str(name) + "</extra>"})
    return {"data": data, "layout": layout("Error rate and p95 latency per tool", hovermode="closest",
                                           xaxis={"tickformat": ".0%", "title": {"text": "error rate"}, "rangemode": "tozero"},
                                           yaxis={"title": {"text": "p95 latency (ms)"}, "rangemode": "tozero"})}
