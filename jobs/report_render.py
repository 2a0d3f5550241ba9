"""The weekly review as text: Markdown (for chat and alert channels), CSV, HTML and JSON. Pure functions
over the rows of jobs.weekly_review.stored_review."""

from __future__ import annotations

import csv
import html
import io
import json
from typing import Any

COLUMNS = [("rank", "#"), ("session_id", "session"), ("agent", "agent"), ("agent_version", "version"),
           ("user_id", "user"), ("outcome", "outcome"), ("cost_usd", "cost $"), ("tokens", "tokens"),
           ("steps", "steps"), ("duration_ms", "duration"), ("models", "model mix"), ("spans_text", "costliest spans")]


def render_top_sessions(rows: list[dict[str, Any]], fmt: str, title: str) -> str:
    if fmt == "json":
        return json.dumps({"title": title, "sessions": rows}, sort_keys=True, default=str)
    cells = [_cells(row) for row in rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([key for key, _ in COLUMNS])
        writer.writerows([[cell[key] for key, _ in COLUMNS] for cell in cells])
        return out.getvalue().rstrip("\n")
    if fmt == "html":
        head = "".join(f"<th>{html.escape(label)}</th>" for _, label in COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell[key]))}</td>" for key, _ in COLUMNS) + "</tr>" for cell in cells)
        return (f"<!doctype html><meta charset=\"utf-8\"><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if fmt == "md":
        lines = [f"## {title}", "", "| " + " | ".join(label for _, label in COLUMNS) + " |",
                 "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(str(cell[key]).replace("|", "\\|") for key, _ in COLUMNS) + " |" for cell in cells]
        if not cells:
            lines.append("_no sessions stored for this week_")
        return "\n".join(lines)
    raise ValueError(f"unknown format {fmt!r}")


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    tokens = row["input_tokens"] + row["output_tokens"]
    models = ", ".join(f"{m['model'] or '?'} x{m['calls']} ${m['cost_usd']:.4f}" for m in row["model_mix"])
    spans = "; ".join(f"{s['name']} ${s['cost_usd']:.4f}" for s in row["top_spans"])
    return {"rank": row["rank"], "session_id": row["session_id"], "agent": row["agent"], "agent_version": row["agent_version"],
            "user_id": row["user_id"], "outcome": row["outcome"], "cost_usd": f"{row['cost_usd']:.4f}", "tokens": tokens,
            "steps": row["steps"], "duration_ms": f"{row['duration_ms']:.0f} ms", "models": models, "spans_text": spans}
