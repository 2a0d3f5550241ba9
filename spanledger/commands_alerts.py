"""The alerts commands on the spanledger group: check (dry run), test (one notification to a channel),
list (current states) and history. check, list and history reach the store through a running server at
--url when one answers, else open it (--data-dir), like the jobs commands; test only needs the settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from alerts.rules import CHANNELS
from spanledger.cli import main
from spanledger.commands_jobs import Door, _iso, _moment, door_options
from spanledger.settings import SettingsError, load_settings
from spanledger.tables import render


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.6g}"


@main.group()
def alerts() -> None:
    """Alert rules: dry-run check, test notifications, current states and history."""


@alerts.command("check")
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False),
              help="Rules file to check (default: SPANLEDGER_ALERTS_RULES_FILE; else the server's own rules).")
@click.option("--at", default="now", show_default=True, help="Evaluate as of this moment: ISO time or 90m / 24h ago.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@door_options
def check(rules_file: str | None, at: str, fmt: str, url: str, data_dir: str | None) -> None:
    """Evaluate the rules now and print what would fire; stores and sends nothing."""
    try:
        settings = load_settings(data_dir=data_dir)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    path = rules_file or settings.alerts_rules_file
    body = {"at": _iso(_moment(at)), "rules": Path(path).read_text() if path else None}
    with Door(url, data_dir) as door:
        result = door("alerts_check", body)
    if fmt == "json":
        click.echo(json.dumps(result, sort_keys=True))
        return
    series = result["series"]
    rows = [[s["rule"], s["series"], "yes" if s["breached"] else "no", f"{s['from']} -> {s['to']}",
             (s["would_send"] + " to " + (",".join(s["channels"]) or "(no channel configured)")) if s["would_send"] else ("silenced" if s["silenced"] else ""),
             _num(s["value"]), _num(s["threshold"])] for s in series]
    click.echo(f"{result['rules']} rules evaluated at {result['at']} (dry run: nothing stored or sent)")
    click.echo(render(["rule", "series", "breached", "state", "would send", "value", "threshold"], rows, "table"))
    for s in series:
        if s["breached"] or s["would_send"]:
            click.echo(f"- {s['rule']} {s['series']}: {s['summary']}")
    firing = sum(1 for s in series if s["to"] == "firing")
    click.echo(f"{sum(1 for s in series if s['breached'])} breached, {firing} would be firing, "
               f"{sum(1 for s in series if s['would_send'])} notifications would be sent")


@alerts.command("test")
@click.argument("channel", type=click.Choice(CHANNELS))
def test(channel: str) -> None:
    """Send a test notification to CHANNEL with the current settings (PagerDuty: a trigger and its resolve)."""
    from alerts.engine import AlertEngine
    from alerts.rules import RuleSet
    from alerts.senders import DeliveryError, configured_channels

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if channel not in configured_channels(settings):
        raise click.ClickException(f"channel {channel} is not configured (see the alert_* settings in the README)")
    try:
        AlertEngine(None, settings, RuleSet()).send_test(channel)
    except DeliveryError as exc:
        raise click.ClickException(f"test notification not delivered: {exc}") from None
    click.echo(f"test notification delivered to {channel}")


@alerts.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also series that are ok.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@door_options
def list_states(show_all: bool, fmt: str, url: str, data_dir: str | None) -> None:
    """The current state of every alert series (pending, firing, resolved; --all: ok too)."""
    with Door(url, data_dir) as door:
        result = door("alerts_states", {"all": show_all})
    if fmt == "json":
        click.echo(json.dumps(result, sort_keys=True))
        return
    rows = [[s["rule"], s["series_key"], s["state"], s["state_since"], _num(s["value"]), _num(s["threshold"]), s["notified"]]
            for s in result["states"]]
    click.echo(render(["rule", "series", "state", "since", "value", "threshold", "notified"], rows, "table"))


@alerts.command("history")
@click.option("--since", default="7d", show_default=True, help="ISO time or 90m / 24h / 7d ago.")
@click.option("--rule", help="Only this rule.")
@click.option("--agent", help="Only this agent.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@door_options
def show_history(since: str, rule: str | None, agent: str | None, fmt: str, url: str, data_dir: str | None) -> None:
    """State changes and notifications (with their delivery status), newest first."""
    with Door(url, data_dir) as door:
        result = door("alerts_history", {"since": _iso(_moment(since)), "rule": rule, "agent": agent})
    if fmt == "json":
        click.echo(json.dumps(result, sort_keys=True))
        return
    changes = [[c["at"], c["rule"], c["series_key"], f"{c['from_state']} -> {c['to_state']}", _num(c["value"]),
                "silenced" if c["silenced"] else ""] for c in result["changes"]]
    click.echo(render(["at", "rule", "series", "change", "value", ""], changes, "table"))
    notes = [[n["created_at"], n["rule"], n["kind"], n["channel"], n["status"], n["attempts"], n["last_error"]]
             for n in result["notifications"] if not rule or n["rule"] == rule]
    click.echo("\nnotifications")
    click.echo(render(["created", "rule", "kind", "channel", "status", "attempts", "last error"], notes, "table"))
