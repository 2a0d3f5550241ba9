"""Downloads of the weekly review: the top sessions of an ISO week as CSV or Markdown, from the same frame
the weekly review page shows (dashboards/sessions_data.weekly_review).

    GET /export/weekly-review.csv?week=2026-W47&tenant=default&agent=support-bot
    GET /export/weekly-review.md?week=2026-W47
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import polars as pl
from flask import Flask, Response, request

from dashboards.login import readable_tenant
from dashboards.sessions_data import weekly_review
from jobs.time_ranges import iso_week, week_name

COLUMNS = ["rank", "session_id", "agent_name", "agent_version", "environment", "user_id", "outcome", "first_start",
           "duration_ms", "cost_usd", "input_tokens", "output_tokens", "steps", "model_calls", "tool_calls", "unpriced_spans"]


def review_csv(frame: pl.DataFrame) -> str:
    return frame.select([column for column in COLUMNS if column in frame.columns]).write_csv()


def review_markdown(frame: pl.DataFrame, week: str, scope: str, stored: bool) -> str:
    source = "as stored by the weekly review" if stored else "ranked live: the weekly review has not run for this week yet"
    lines = [f"# Top {frame.height} most expensive sessions, {week} ({scope})", "", f"_{source}_", "",
             "| # | session | agent | version | outcome | user | cost | duration | tokens in / out | steps |",
             "| ---: | --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for row in frame.iter_rows(named=True):
        lines.append(f"| {row['rank']} | `{row['session_id']}` | {row['agent_name']} | {row['agent_version']} | {row['outcome']} "
                     f"| {row['user_id'] or '—'} | ${row['cost_usd']:.4f} | {row['duration_ms'] / 1000:.1f} s "
                     f"| {row['input_tokens']:,} / {row['output_tokens']:,} | {row['steps']} |")
    return "\n".join(lines) + "\n"


def register_exports(server: Flask, context: Any) -> None:
    def export(kind: str) -> Response:
        week = request.args.get("week") or week_name(dt.datetime.now(dt.UTC))
        try:
            iso_week(week)
        except ValueError as exc:
            return Response(str(exc), status=400, mimetype="text/plain")
        tenant = readable_tenant(request.args.get("tenant"))
        agent = request.args.get("agent") or None
        frame, stored = weekly_review(context.store, tenant, week, agent)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", f"top-sessions-{week}{'-' + agent if agent else ''}")
        if kind == "csv":
            body, mimetype = review_csv(frame), "text/csv"
        else:
            body, mimetype = review_markdown(frame, week, agent or f"all agents of {tenant}", stored), "text/markdown"
        return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})

    server.add_url_rule("/export/weekly-review.csv", "export_weekly_csv", lambda: export("csv"))
    server.add_url_rule("/export/weekly-review.md", "export_weekly_md", lambda: export("md"))
