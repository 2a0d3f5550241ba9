"""What each channel receives, built from the channel-neutral notification the outbox stores. Pure.

- PagerDuty Events API v2: trigger (and repeat) and resolve events on the series' dedup_key, severity
  mapped from the rule's, links to the dashboards; the routing key is added here, never stored.
- Slack incoming webhook: a `text` fallback and Block Kit blocks (header, summary, figures, link).
- Webhook: the notification as a JSON body, signed with HMAC-SHA256 over "<timestamp>.<body>".
- Email: a plain-text message with the same content.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from email.message import EmailMessage
from typing import Any

PAGERDUTY_SEVERITY = {"critical": "critical", "error": "error", "warning": "warning", "info": "info"}
SLACK_ICONS = {"critical": ":rotating_light:", "error": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}
SIGNATURE_HEADER = "X-Spanledger-Signature"
TIMESTAMP_HEADER = "X-Spanledger-Timestamp"
DELIVERY_HEADER = "X-Spanledger-Delivery"


def title(note: dict[str, Any]) -> str:
    if note["kind"] == "weekly_review":
        return str(note["title"])
    status = {"trigger": "FIRING", "repeat": "STILL FIRING", "resolve": "RESOLVED", "test": "TEST"}[note["kind"]]
    return f"[{status}] {note['rule']}" + (f" ({note['severity']})" if note["kind"] != "resolve" else "")


def pagerduty_event(note: dict[str, Any], routing_key: str) -> dict[str, Any]:
    if note["kind"] == "resolve":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": note["dedup_key"]}
    labels = note.get("labels") or {}
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": note["dedup_key"],
        "payload": {
            "summary": _cut(f"{note['rule']}: {note['summary']}", 1024),
            "source": _cut(labels.get("agent") or "spanledger", 255),
            "severity": PAGERDUTY_SEVERITY[note["severity"]],
            "timestamp": note["at"],
            "component": labels.get("version") or labels.get("session_id") or "",
            "group": labels.get("environment") or labels.get("tenant") or "",
            "class": note.get("rule_kind", ""),
            "custom_details": {**{f"label.{key}": value for key, value in labels.items()}, "value": note.get("value"),
                               "threshold": note.get("threshold"), **(note.get("details") or {})},
        },
        "client": "spanledger",
    }
    if note.get("link"):
        event["links"] = [{"href": note["link"], "text": "Open in spanledger"}]
        event["client_url"] = note["link"]
    return event


def slack_message(note: dict[str, Any]) -> dict[str, Any]:
    icon = ":white_check_mark:" if note["kind"] == "resolve" else SLACK_ICONS.get(note.get("severity", "info"), "")
    head = f"{icon} {title(note)}".strip()
    body = note["text"] if note["kind"] == "weekly_review" else note["summary"]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title(note), 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_escape(body), 3000)}},
    ]
    fields = [f"*{_escape(key)}*\n{_escape(str(value))}" for key, value in _figures(note)]
    if fields:
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": _cut(text, 2000)} for text in fields[:10]]})
    if note.get("link"):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{note['link']}|Open in spanledger>"}})
    fallback = f"{head}: {note['summary']}" if note["kind"] != "weekly_review" else head
    return {"text": _cut(_escape(fallback) + (f" <{note['link']}|open>" if note.get("link") else ""), 3000), "blocks": blocks}


def webhook_request(note: dict[str, Any], secret: str, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """The JSON body and headers; the signature lets a receiver check both origin and freshness."""
    body = json.dumps(note, sort_keys=True, separators=(",", ":"), default=str).encode()
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(timestamp), DELIVERY_HEADER: note["notification_id"]}
    if secret:
        headers[SIGNATURE_HEADER] = "sha256=" + webhook_signature(secret, timestamp, body)
    return body, headers


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def email_message(note: dict[str, Any], sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = _cut(f"{title(note)}: {note['summary']}" if note["kind"] != "weekly_review" else title(note), 250)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["X-Spanledger-Notification"] = note["notification_id"]
    lines = [note["text"] if note["kind"] == "weekly_review" else note["summary"], ""]
    lines += [f"{key}: {value}" for key, value in _figures(note)]
    if note.get("link"):
        lines += ["", f"Open in spanledger: {note['link']}"]
    message.set_content("\n".join(lines) + "\n")
    return message


def _figures(note: dict[str, Any]) -> list[tuple[str, Any]]:
    if note["kind"] == "weekly_review":
        return []
    labels = note.get("labels") or {}
    out: list[tuple[str, Any]] = [(key, value) for key, value in labels.items()]
    details = note.get("details") or {}
    for key in ("metric", "value", "threshold", "baseline_version", "candidate", "baseline", "p_value", "steps", "cost_usd",
                "median_cost_usd", "silent_minutes", "window"):
        value = details.get(key)
        if value is not None:
            out.append((key, round(value, 6) if isinstance(value, float) else value))
    if note.get("fired_at"):
        out.append(("fired at", note["fired_at"]))
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
