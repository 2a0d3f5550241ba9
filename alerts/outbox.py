"""The persistent outbox: every notification is stored (alert_outbox, one row per channel) before any
delivery is tried, then sent by deliver_due, retried with exponential backoff while the receiver is down,
and marked sent or failed.

Why a ClickHouse table and not a file under data_dir: the alert states and history it belongs to are
there already, so one store holds everything a restart needs, `spanledger alerts history` and the
dashboards can show each notification's delivery, and it works the same on a ClickHouse server.

Never twice for one state change: a notification's id comes from its series and the series' notification
count, so an evaluation repeated after a crash finds the row already stored and adds nothing; a row is sent
until one attempt succeeds and then marked sent. Per channel and dedup key, notifications go out in the
order they were created (a resolve never overtakes its trigger). The one gap left: a process killed
between a receiver's 2xx and the row's update sends that notification again at the next start
(PagerDuty folds it into the same alert by dedup_key; webhook receivers get the same delivery id).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from alerts.senders import DeliveryError
from spanledger.settings import Settings

log = logging.getLogger(__name__)

_TIME = pl.Datetime("us", "UTC")
SCHEMA: dict[str, Any] = {
    "notification_id": pl.String, "channel": pl.String, "rule": pl.String, "series_key": pl.String, "dedup_key": pl.String,
    "kind": pl.String, "payload": pl.String, "created_at": _TIME, "status": pl.String, "attempts": pl.UInt32,
    "next_attempt_at": _TIME, "last_error": pl.String, "sent_at": _TIME,
}
Sender = Callable[[Settings, str, dict[str, Any]], None]


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)


def enqueue(store: Any, notes: list[tuple[dict[str, Any], tuple[str, ...]]], now: dt.datetime) -> int:
    """Stores (notification, channels) pairs not stored before; returns the rows added."""
    if not notes:
        return 0
    ids = [note["notification_id"] for note, _ in notes]
    known = set(store.frame("alerts_outbox_known", {"ids": json.dumps(ids)}).get_column("notification_id").to_list())
    rows = [{"notification_id": note["notification_id"], "channel": channel, "rule": note.get("rule", ""),
             "series_key": note.get("series_key", ""), "dedup_key": note.get("dedup_key", ""), "kind": note["kind"],
             "payload": json.dumps(note, default=str), "created_at": now, "status": "pending", "attempts": 0,
             "next_attempt_at": now, "last_error": "", "sent_at": None}
            for note, channels in notes if note["notification_id"] not in known for channel in channels]
    if rows:
        store.insert_frame("alerts_insert_outbox", pl.DataFrame(rows, schema=SCHEMA))
    return len(rows)


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """Delay after the attempts-th failed attempt: base, 2 base, 4 base, ... up to the maximum."""
    return dt.timedelta(seconds=min(settings.alerts_retry_base_seconds * 2 ** max(attempts - 1, 0), settings.alerts_retry_max_seconds))


def deliver_due(store: Any, settings: Settings, now: dt.datetime, send: Sender, channels: tuple[str, ...],
                rules: set[str] | None = None) -> DeliveryReport:
    """Tries every pending notification that is due on a channel of channels (of the given rules, plus the
    rule-less ones: tests and reports; None: all), oldest first; writes each outcome before the next send."""
    report = DeliveryReport()
    blocked: set[tuple[str, str]] = set()
    for row in store.frame("alerts_outbox_pending").iter_rows(named=True):
        if row["channel"] not in channels or (rules is not None and row["rule"] and row["rule"] not in rules):
            continue
        order_key = (row["channel"], row["dedup_key"] or row["notification_id"])
        if order_key in blocked or _utc(row["next_attempt_at"]) > now:
            blocked.add(order_key)
            report.waiting += 1
            continue
        row = {key: row[key] for key in SCHEMA}
        row["created_at"], row["attempts"] = _utc(row["created_at"]), row["attempts"] + 1
        try:
            send(settings, row["channel"], json.loads(row["payload"]))
            row.update(status="sent", sent_at=now, last_error="")
            report.sent += 1
        except DeliveryError as exc:
            gave_up = not exc.retryable or now - row["created_at"] >= dt.timedelta(hours=settings.alerts_give_up_hours)
            row.update(status="failed" if gave_up else "pending", last_error=str(exc)[:500],
                       next_attempt_at=now + backoff(settings, row["attempts"]))
            blocked.add(order_key)
            report.errors.append(f"{row['notification_id']} {exc}")
            if gave_up:
                report.failed += 1
                log.error("notification %s to %s failed for good after %d attempts: %s", row["notification_id"], row["channel"],
                          row["attempts"], exc)
            else:
                report.retrying += 1
                log.warning("notification %s to %s: attempt %d failed, next at %s: %s", row["notification_id"], row["channel"],
                            row["attempts"], row["next_attempt_at"], exc)
        row["next_attempt_at"] = _utc(row["next_attempt_at"])
        store.insert_frame("alerts_insert_outbox", pl.DataFrame([row], schema=SCHEMA))
    return report


def recent(store: Any, since: dt.datetime, limit: int = 200) -> pl.DataFrame:
    from jobs.time_ranges import param

    return store.frame("alerts_outbox_recent", {"since": param(since), "limit": limit})


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
