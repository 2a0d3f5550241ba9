"""Alerts end to end against real local receivers: sessions in over OTLP, the real jobs roll them up, the
engine evaluates at moments of the test's choosing (an injected clock, no sleeping) and delivers to
PagerDuty-, Slack- and webhook-shaped HTTP servers and an SMTP server on loopback, which accept only
payloads in those services' documented formats."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.alert_fleet import agent_session, minute_base, run_cycles, send_and_roll_up

MINUTE = dt.timedelta(minutes=1)



def cost_rule(name: str, agent: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "threshold", "metric": "cost_p95", "agent": agent, "above": 0.25, "window": "5m",
            "min_sessions": 5, "group_by": ["agent"], "severity": "critical", **extra}


def test_cost_sla_breach_fires_within_one_cycle_and_resolves(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"sla-{unique}"
    base = minute_base()
    costs = [0.05] * 10 + [0.50] * 10 + [0.04] * 10  # per minute: fine, over the SLA, fine again
    sessions = [agent_session(agent, f"{agent}-{m}-{i}", base + m * MINUTE + dt.timedelta(seconds=5 + 15 * i), cost)
                for m, cost in enumerate(costs) for i in range(3)]
    send_and_roll_up(service, sessions)
    engine = receivers.engine(service, tmp_path, [cost_rule(f"cost-sla-{unique}", agent)])

    run_cycles(engine, base, 5)  # window [0, 5): p95 $0.05
    assert receivers.pagerduty.bodies() == []
    run_cycles(engine, base, 12)  # the first cycle whose window holds breaching sessions fires
    events = receivers.pagerduty.bodies()
    assert [e["event_action"] for e in events] == ["trigger"]
    trigger = events[0]
    assert trigger["payload"]["severity"] == "critical" and trigger["payload"]["source"] == agent
    assert "0.5" in trigger["payload"]["summary"] and "0.25" in trigger["payload"]["summary"]
    assert trigger["links"][0]["href"].startswith(f"http://127.0.0.1:{service.ui_port}/?") and f"agent={agent}" in trigger["links"][0]["href"]
    slack = receivers.slack.bodies()
    assert len(slack) == 1 and "FIRING" in slack[0]["text"] and "$0.5000" in slack[0]["text"]
    assert len(receivers.webhook.bodies()) == 1 and receivers.webhook.bodies()[0]["kind"] == "trigger"
    assert len(receivers.smtp.messages) == 1 and "FIRING" in receivers.smtp.messages[0]["message"]["Subject"]
    run_cycles(engine, base, 16)
    run_cycles(engine, base, 19)  # still over: nothing new
    assert len(receivers.pagerduty.bodies()) == 1
    run_cycles(engine, base, 26)  # window [21, 26): recovered
    events = receivers.pagerduty.bodies()
    assert [e["event_action"] for e in events] == ["trigger", "resolve"]
    assert events[1]["dedup_key"] == trigger["dedup_key"]
    assert "RESOLVED" in receivers.slack.bodies()[1]["text"]
    assert [b["kind"] for b in receivers.webhook.bodies()] == ["trigger", "resolve"]
    assert len(receivers.smtp.messages) == 2 and "RESOLVED" in receivers.smtp.messages[1]["message"]["Subject"]


def test_receiver_down_for_several_cycles_gets_one_trigger_and_one_resolve(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"down-{unique}"
    base = minute_base()
    costs = [0.50] * 6 + [0.05] * 10
    send_and_roll_up(service, [agent_session(agent, f"{agent}-{m}-{i}", base + m * MINUTE + dt.timedelta(seconds=5 + 15 * i), cost)
                               for m, cost in enumerate(costs) for i in range(3)])
    engine = receivers.engine(service, tmp_path, [cost_rule(f"down-{unique}", agent, channels=["pagerduty", "webhook"])])
    receivers.pagerduty.stop()  # connection refused from here on
    receivers.webhook.stop()
    # Fires at 3, recovers by 12 (trigger and resolve both queued); each due retry fails, with growing backoff.
    reports = run_cycles(engine, base, 3, 4, 5, 6, 12, 13, 14)
    assert sum(r.retrying for r in reports) >= 8 and sum(r.sent for r in reports) == 0
    receivers.pagerduty.start()  # back, on the same port
    receivers.webhook.start()
    later = base + 30 * MINUTE  # past every backoff
    engine.evaluate(later)
    first = engine.deliver(later)
    assert first.sent == 4, first  # trigger + resolve on both channels
    run_cycles(engine, base, 31, 32, 45, 90)  # more cycles, and a new engine as after a restart: nothing is sent again
    restarted = receivers.engine(service, tmp_path, [cost_rule(f"down-{unique}", agent, channels=["pagerduty", "webhook"])])
    restarted.evaluate(base + 120 * MINUTE)
    restarted.deliver(base + 120 * MINUTE)
    events = receivers.pagerduty.bodies()
    assert [e["event_action"] for e in events] == ["trigger", "resolve"]  # in order: the resolve never overtakes
    assert events[0]["dedup_key"] == events[1]["dedup_key"]
    assert [b["kind"] for b in receivers.webhook.bodies()] == ["trigger", "resolve"]
    assert receivers.smtp.messages == [] and receivers.slack.bodies() == []  # not this rule's channels


def test_flapping_metric_is_damped_by_for(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"flap-{unique}"
    base = minute_base()
    costs = [0.50 if m % 2 else 0.05 for m in range(12)] + [0.50] * 6  # over / under each minute, then over for 6 minutes
    send_and_roll_up(service, [agent_session(agent, f"{agent}-{m}-{i}", base + m * MINUTE + dt.timedelta(seconds=5 + 10 * i), cost)
                               for m, cost in enumerate(costs) for i in range(5)])
    damped, raw = f"flap-damped-{unique}", f"flap-raw-{unique}"
    engine = receivers.engine(service, tmp_path, [
        cost_rule(damped, agent, window="1m", channels=["pagerduty"], **{"for": "3m"}),
        cost_rule(raw, agent, window="1m", channels=["webhook"])])  # the same rule without for:, as a control
    run_cycles(engine, base, *range(1, 13))  # the one-minute window alternates over / under the threshold
    assert receivers.pagerduty.bodies() == []
    raw_kinds = [b["kind"] for b in receivers.webhook.bodies()]
    assert raw_kinds.count("trigger") >= 5 and raw_kinds.count("resolve") >= 5  # without for: it pages on every flap
    # Minute 11 is over, and so is every minute from 12 on: first seen by the cycle at 12, held for 3 minutes at 15.
    for minute in range(13, 19):
        run_cycles(engine, base, minute)
        fired = [e["event_action"] for e in receivers.pagerduty.bodies()]
        assert fired == ([] if minute < 15 else ["trigger"]), (minute, fired)


def test_runaway_session_pages_once_with_its_id_and_link(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"runaway-{unique}"
    base = minute_base(1.0)
    normal = [agent_session(agent, f"{agent}-n{i}", base + dt.timedelta(seconds=20 * i), 0.02 + 0.001 * (i % 5)) for i in range(30)]
    runaway = agent_session(agent, f"{agent}-loop", base + 12 * MINUTE, 1.20, steps=60)
    send_and_roll_up(service, [*normal, runaway])
    rule = {"name": f"runaway-{unique}", "kind": "runaway_session", "agent": agent, "max_steps": 40, "max_cost_multiple": 20,
            "window": "1h", "severity": "critical", "channels": ["pagerduty", "slack"]}
    engine = receivers.engine(service, tmp_path, [rule])
    run_cycles(engine, base, 20, 21, 22, 30, 50)
    events = receivers.pagerduty.bodies()
    assert [e["event_action"] for e in events] == ["trigger"]
    details = events[0]["payload"]["custom_details"]
    assert details["session_id"] == runaway.key and details["steps"] == 60
    link = f"http://127.0.0.1:{service.ui_port}/sessions/{runaway.key}"
    assert events[0]["links"][0]["href"] == link
    slack = receivers.slack.bodies()
    assert len(slack) == 1 and runaway.key in slack[0]["text"] and link in str(slack[0]["blocks"])
    assert "60 steps &gt; 40" in slack[0]["text"]  # Slack mrkdwn escapes <, > and &
    import httpx

    assert httpx.get(link, timeout=30).status_code == 200  # the link opens the session's page


def test_scheduler_pass_evaluates_and_pages_in_the_same_cycle(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The real hook: spans arrive, one scheduled jobs pass rolls them up and its after-pass evaluation pages."""
    from jobs.scheduler import JobScheduler
    from tests.jobs_fleet import export

    agent = f"hook-{unique}"
    now = dt.datetime.now(dt.UTC)
    export(service.grpc_port, [agent_session(agent, f"{agent}-{i}", now - dt.timedelta(minutes=4, seconds=-10 * i), 0.8)
                               for i in range(6)])
    service.flush()
    engine = receivers.engine(service, tmp_path, [cost_rule(f"hook-{unique}", agent, window="15m", channels=["pagerduty"])])
    JobScheduler(service.jobs, service.settings, after_pass=engine.cycle)._incremental()
    assert [e["event_action"] for e in receivers.pagerduty.bodies()] == ["trigger"]


def test_email_over_starttls_with_login(service, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The email channel upgrades with STARTTLS (certificate verified) before it logs in and sends."""
    import ssl
    import subprocess

    from alerts.engine import AlertEngine
    from alerts.rules import RuleSet
    from alerts.senders import DeliveryError
    from spanledger.settings import load_settings
    from tests.alert_receivers import SmtpReceiver

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this test certificate, and verifies it
    smtp = SmtpReceiver(tls=tls, login=("alerts", "s3cret")).start()
    try:
        settings = load_settings(data_dir=str(service.settings.data_dir), alert_smtp_host="127.0.0.1", alert_smtp_port=smtp.port,
                                 alert_smtp_starttls=True, alert_smtp_username="alerts", alert_smtp_password="s3cret",
                                 alert_email_to=["oncall@example.com"], alert_email_from="spanledger@example.com")
        AlertEngine(service.store, settings, RuleSet()).send_test("email")
        plain = load_settings(data_dir=str(service.settings.data_dir), alert_smtp_host="127.0.0.1", alert_smtp_port=smtp.port,
                              alert_smtp_starttls=False, alert_email_to=["oncall@example.com"])
        try:
            AlertEngine(service.store, plain, RuleSet()).send_test("email")
            refused = ""
        except DeliveryError as exc:
            refused = str(exc)
    finally:
        smtp.stop()
    assert smtp.logins == ["alerts"] and len(smtp.messages) == 1
    assert smtp.messages[0]["from"] == "spanledger@example.com" and "TEST" in smtp.messages[0]["message"]["Subject"]
    assert refused.startswith("email: SMTP 530")  # without STARTTLS this server takes nothing
