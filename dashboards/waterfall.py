"""A session's trace waterfall: its spans in tree order (each span after its parent, siblings by start),
drawn as bars on one time axis from the session's first span, coloured by operation, errors in red.
Pure: a spans frame in, rows and a figure out.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboards.figures import template

COLOURS = {"invoke_agent": "#64748b", "chat": "#2563eb", "text_completion": "#2563eb", "embeddings": "#0891b2",
           "execute_tool": "#d97706", "retrieval": "#16a34a", "handoff": "#7c3aed", "other": "#94a3b8"}
ERROR_COLOUR = "#dc2626"
MAX_BARS = 1500  # beyond this the browser spends longer drawing than anyone reads


def tree_order(spans: pl.DataFrame) -> pl.DataFrame:
    """The spans with depth and row (0-based) in depth-first order; a span whose parent is not among them
    (a root, or a parent never received) starts a tree of its own, trees by start. Every span appears once."""
    if spans.is_empty():
        return spans.with_columns(pl.lit(0).alias("depth"), pl.lit(0).alias("row"))
    ordered = spans.sort(["start_time", "span_id"])
    ids = set(ordered.get_column("span_id").to_list())
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    for span_id, parent in ordered.select("span_id", "parent_span_id").iter_rows():
        if parent and parent in ids and parent != span_id:
            children.setdefault(parent, []).append(span_id)
        else:
            roots.append(span_id)
    depth: dict[str, int] = {}
    sequence: list[str] = []
    # Roots first; then spans no root reaches (their parent ids form a cycle), each as a root of its own.
    for start in [*roots, *ordered.get_column("span_id").to_list()]:
        stack = [(start, 0)]
        while stack:  # iterative: a deep chain of spans must not hit the recursion limit
            span_id, level = stack.pop()
            if span_id in depth:
                continue
            depth[span_id] = level
            sequence.append(span_id)
            stack.extend((child, level + 1) for child in reversed(children.get(span_id, [])))
    position = pl.DataFrame({"span_id": sequence, "row": list(range(len(sequence))),
                             "depth": [depth[span_id] for span_id in sequence]})
    return ordered.join(position, on="span_id", how="inner").sort("row")


def waterfall_figure(rows: pl.DataFrame) -> dict[str, Any]:
    """Bars from each span's start to its end, in milliseconds from the first start, one trace per colour
    (plain Plotly JSON, like dashboards/figures.py)."""
    shown = rows.head(MAX_BARS)
    origin = shown.get_column("start_time").min()
    frame = shown.with_columns(
        ((pl.col("start_time") - pl.lit(origin)).dt.total_nanoseconds() / 1e6).alias("offset_ms"),
        pl.when(pl.col("status_code") == "ERROR").then(pl.lit("error")).otherwise(pl.col("operation")).alias("category"),
        (pl.lit("\u2003").repeat_by(pl.col("depth")).list.join("") + pl.col("name")).alias("label"),
    )
    data = []
    for category in sorted(set(frame.get_column("category").to_list())):
        part = frame.filter(pl.col("category") == category)
        data.append({
            "type": "bar", "orientation": "h", "name": category,
            "marker": {"color": ERROR_COLOUR if category == "error" else COLOURS.get(category, COLOURS["other"])},
            "y": part.get_column("row").to_list(), "x": part.get_column("duration_ms").clip(lower_bound=0.001).to_list(),
            "base": part.get_column("offset_ms").to_list(),
            "customdata": [list(values) for values in part.select("span_id", "name", "kind", "status_code").rows()],
            "hovertemplate": "%{customdata[1]}<br>%{customdata[2]} · %{customdata[3]}<br>start %{base:.1f} ms · %{x:.1f} ms<extra></extra>"})
    labels = frame.sort("row")
    return {"data": data, "layout": {
        "template": template(), "barmode": "overlay", "bargap": 0.25, "height": max(240, 22 * frame.height + 90),
        "margin": {"l": 10, "r": 16, "t": 30, "b": 40}, "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "xaxis": {"title": {"text": "ms from the session's first span"}, "rangemode": "tozero"},
        "yaxis": {"autorange": "reversed", "tickmode": "array", "tickvals": labels.get_column("row").to_list(),
                  "ticktext": labels.get_column("label").to_list(), "automargin": True, "tickfont": {"size": 11}},
        "hovermode": "closest", "clickmode": "event"}}
