"""The weekly top-sessions review (jobs/weekly_review.py) as notifications: one per tenant and ISO week,
with each session's cost, agent, outcome and a link to its waterfall. Reads the stored review only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from jobs.weekly_review import stored_review


def weekly_review_notes(store: Any, week: str, ui_url: str, now: dt.datetime) -> list[dict[str, Any]]:
    base = ui_url.rstrip("/")
    notes = []
    for tenant in store.frame("alerts_review_tenants", {"week": week}).get_column("tenant").to_list():
        rows = stored_review(store, tenant, week, None)
        if not rows:
            continue
        tenant_query = f"&tenant={quote(tenant)}" if tenant != "default" else ""
        lines = [f"{row['rank']}. ${row['cost_usd']:,.4f}  {row['agent']} {row['agent_version']}  {row['outcome']}  "
                 f"{row['steps']} steps  session {row['session_id']}  {base}/sessions/{quote(row['session_id'], safe='')}"
                 + (f"?tenant={quote(tenant)}" if tenant != "default" else "") for row in rows]
        total = sum(row["cost_usd"] for row in rows)
        text = (f"The {len(rows)} most expensive sessions of {week} ({tenant}), together ${total:,.2f}:\n" + "\n".join(lines))
        notes.append({"notification_id": f"weekly-review/{tenant}/{week}", "kind": "weekly_review", "rule": "", "series_key": "",
                      "dedup_key": f"weekly-review/{tenant}/{week}", "severity": "info",
                      "title": f"Weekly review {week}: most expensive sessions ({tenant})", "summary": f"top sessions of {week}",
                      "text": text, "labels": {"tenant": tenant}, "sessions": rows,
                      "link": f"{base}/weekly?week={week}{tenant_query}", "at": now.isoformat().replace("+00:00", "Z")})
    return notes
