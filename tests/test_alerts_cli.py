"""`spanledger alerts check | test | list | history` through a running server and with the local receivers."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from click.testing import CliRunner

from spanledger.cli import main
from tests.alert_fleet import ROUTING_KEY, WEBHOOK_SECRET, Receivers, agent_session, minute_base, run_cycles, send_and_roll_up

MINUTE = dt.timedelta(minutes=1)



def env_of(receivers: Receivers) -> dict[str, str]:
    return {"SPANLEDGER_ALERT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "SPANLEDGER_ALERT_PAGERDUTY_URL": receivers.pagerduty.url,
            "SPANLEDGER_ALERT_SLACK_WEBHOOK_URL": receivers.slack.url, "SPANLEDGER_ALERT_WEBHOOK_URL": receivers.webhook.url,
            "SPANLEDGER_ALERT_WEBHOOK_SECRET": WEBHOOK_SECRET, "SPANLEDGER_ALERT_SMTP_HOST": "127.0.0.1",
            "SPANLEDGER_ALERT_SMTP_PORT": str(receivers.smtp.port), "SPANLEDGER_ALERT_SMTP_STARTTLS": "false",
            "SPANLEDGER_ALERT_EMAIL_TO": '["oncall@example.com"]'}


def test_check_prints_what_would_fire_and_sends_nothing(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"check-{unique}"
    now = dt.datetime.now(dt.UTC)
    send_and_roll_up(service, [agent_session(agent, f"{agent}-{i}", now - dt.timedelta(minutes=20, seconds=-10 * i), cost)
                               for i, cost in enumerate([0.9] * 8)])
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [
        {"name": f"check-over-{unique}", "kind": "threshold", "metric": "cost_p95", "agent": agent, "above": 0.5, "window": "1h"},
        {"name": f"check-fine-{unique}", "kind": "threshold", "metric": "cost_p95", "agent": agent, "above": 5, "window": "1h"}]}))
    result = CliRunner().invoke(main, ["alerts", "check", "--rules", str(rules), "--url", f"http://127.0.0.1:{service.http_port}"],
                                env=env_of(receivers), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("check-")}
    # The server evaluates with its own channels (none in the tests' server): the rule would notify all of them.
    assert "ok -> firing" in lines[f"check-over-{unique}"] and "trigger to (no channel configured)" in lines[f"check-over-{unique}"]
    assert "ok -> ok" in lines[f"check-fine-{unique}"]
    assert "1 breached, 1 would be firing, 1 notifications would be sent" in result.output
    assert receivers.pagerduty.attempts == 0 and receivers.slack.attempts == 0  # a dry run
    listed = CliRunner().invoke(main, ["alerts", "list", "--all", "--format", "json", "--url", f"http://127.0.0.1:{service.http_port}"])
    assert unique not in listed.output  # and nothing stored


def test_check_names_the_bad_rule(service, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [{"name": "late", "kind": "no_data", "silent_for": "1h", "lookback": "30m"}]}))
    result = CliRunner().invoke(main, ["alerts", "check", "--rules", str(rules), "--url", f"http://127.0.0.1:{service.http_port}"])
    assert result.exit_code != 0 and "rule #1 ('late')" in result.output and "lookback must be longer than silent_for" in result.output


@pytest.mark.parametrize("channel", ["pagerduty", "slack", "webhook", "email"])
def test_test_sends_one_notification(receivers, channel) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["alerts", "test", channel], env=env_of(receivers), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ROUTING_KEY not in result.output and WEBHOOK_SECRET not in result.output
    got = {"pagerduty": receivers.pagerduty.bodies(), "slack": receivers.slack.bodies(), "webhook": receivers.webhook.bodies(),
           "email": receivers.smtp.messages}
    assert [name for name, items in got.items() if items] == [channel]
    if channel == "pagerduty":  # a trigger and its resolve, so no incident stays open
        assert [e["event_action"] for e in got[channel]] == ["trigger", "resolve"]
    if channel == "email":
        assert "TEST" in got[channel][0]["message"]["Subject"] and got[channel][0]["to"] == ["oncall@example.com"]


def test_test_reports_a_receiver_that_is_down(receivers) -> None:  # type: ignore[no-untyped-def]
    receivers.slack.stop()
    result = CliRunner().invoke(main, ["alerts", "test", "slack"], env=env_of(receivers))
    assert result.exit_code != 0 and "not delivered" in result.output
    assert receivers.slack.url not in result.output  # the webhook URL is a secret


def test_history_shows_changes_and_deliveries(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"hist-{unique}"
    base = minute_base()
    send_and_roll_up(service, [agent_session(agent, f"{agent}-{i}", base + dt.timedelta(seconds=10 * i), 0.9) for i in range(6)])
    rule = {"name": f"hist-{unique}", "kind": "threshold", "metric": "cost_p95", "agent": agent, "above": 0.5, "window": "10m",
            "channels": ["webhook"]}
    engine = receivers.engine(service, tmp_path, [rule])
    run_cycles(engine, base, 5, 20)
    result = CliRunner().invoke(main, ["alerts", "history", "--rule", rule["name"], "--since", "1d", "--format", "json",
                                       "--url", f"http://127.0.0.1:{service.http_port}"], catch_exceptions=False)
    body = json.loads(result.output)
    assert [(c["from_state"], c["to_state"]) for c in body["changes"]] == [("firing", "resolved"), ("ok", "firing")]
    notes = [(n["kind"], n["channel"], n["status"]) for n in body["notifications"] if n["rule"] == rule["name"]]
    assert sorted(notes) == [("resolve", "webhook", "sent"), ("trigger", "webhook", "sent")]


def test_check_opens_the_store_when_no_server_answers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys
    from pathlib import Path

    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [{"name": "quiet", "kind": "no_data", "silent_for": "30m"}]}))
    cli = Path(sys.executable).with_name("spanledger")
    done = subprocess.run([str(cli), "alerts", "check", "--rules", str(rules), "--data-dir", str(tmp_path / "store"),
                           "--url", "http://127.0.0.1:9"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 rules evaluated" in done.stdout and "0 breached" in done.stdout
