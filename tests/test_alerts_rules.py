"""Regression, no-data and silences through the engine on real rollups (injected clock), and the rules
file's validation errors naming the rule and the field."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.rules import AlertRulesError, parse_rules
from alerts.state import FIRING, PENDING, SeriesState, advance
from tests.alert_fleet import agent_session, minute_base, run_cycles, send_and_roll_up

MINUTE = dt.timedelta(minutes=1)



def versioned(agent: str, version: str, count: int, failures: int, start: dt.datetime) -> list:  # type: ignore[type-arg]
    """count sessions of version a minute apart; every (count / failures)-th one fails."""
    step = count // failures if failures else 0
    return [agent_session(agent, f"{agent}-{version}-{i}", start + i * MINUTE / 2, 0.03, version=version,
                          failed=bool(step) and i % step == 0 and i // step < failures) for i in range(count)]


def test_regression_fires_only_when_significant(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"regress-{unique}"
    base = minute_base(4.0)
    sessions = (versioned(agent, "1.0", 120, 0, base)              # baseline: every session resolved
                + versioned(agent, "2.0", 12, 4, base + 70 * MINUTE)  # a third fail, but only 12 sessions
                + versioned(agent, "3.0", 40, 3, base + 80 * MINUTE)  # 7.5% fail: over the margin, not significant at n=40
                + versioned(agent, "4.0", 60, 20, base + 110 * MINUTE))  # a third of 60 fail: a real regression
    send_and_roll_up(service, sessions)
    rule = {"name": f"regress-{unique}", "kind": "regression", "metric": "success_rate", "agent": agent, "baseline": "1.0",
            "margin": 0.02, "alpha": 0.05, "min_sessions": 30, "window": "3h", "baseline_window": "1d",
            "severity": "error", "channels": ["pagerduty"]}
    engine = receivers.engine(service, tmp_path, [rule])
    now = base + 150 * MINUTE
    outcomes = {o.step.state.series_key: o for o in engine.evaluate(now)}
    engine.deliver(now)
    by_version = {key.rsplit("version=", 1)[1]: o for key, o in outcomes.items()}
    assert set(by_version) == {"2.0", "3.0", "4.0"}
    assert "not enough data" in by_version["2.0"].step.state.summary and by_version["2.0"].step.state.state == "ok"
    assert by_version["3.0"].step.state.state == "ok"
    assert by_version["4.0"].step.state.state == FIRING
    events = receivers.pagerduty.bodies()
    assert [e["event_action"] for e in events] == ["trigger"] and events[0]["payload"]["component"] == "4.0"
    details = events[0]["payload"]["custom_details"]
    assert details["baseline_version"] == "1.0" and details["p_value"] < 0.05 and details["candidate_sessions"] == 60
    assert abs(details["candidate"] - 40 / 60) < 1e-9 and details["baseline"] == 1.0


def test_no_data_fires_for_an_agent_gone_quiet(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"quiet-{unique}"
    base = minute_base()
    send_and_roll_up(service, [agent_session(agent, f"{agent}-{m}", base + m * MINUTE + dt.timedelta(seconds=10), 0.01)
                               for m in range(10)])
    rule = {"name": f"quiet-{unique}", "kind": "no_data", "agent": agent, "silent_for": "15m", "lookback": "1d",
            "severity": "warning", "channels": ["slack"]}
    engine = receivers.engine(service, tmp_path, [rule])
    run_cycles(engine, base, 12, 20, 24)  # the last session started in minute 9: silent 15 minutes at 25
    assert receivers.slack.bodies() == []
    run_cycles(engine, base, 25)
    messages = receivers.slack.bodies()
    assert len(messages) == 1 and "no sessions from" in messages[0]["text"] and agent in messages[0]["text"]


def test_silence_mutes_notifications_until_it_ends(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"hush-{unique}"
    base = minute_base()
    send_and_roll_up(service, [agent_session(agent, f"{agent}-{i}", base + dt.timedelta(seconds=10 * i), 0.9) for i in range(6)])
    rule = {"name": f"hush-{unique}", "kind": "threshold", "metric": "cost_p95", "agent": agent, "above": 0.5, "window": "1h",
            "channels": ["webhook"]}
    settings = receivers.settings(service, tmp_path, [rule])
    import yaml

    from alerts.engine import AlertEngine
    from alerts.rules import load_rules

    text = yaml.safe_load(settings.alerts_rules_file.read_text())  # type: ignore[union-attr]
    text["silences"] = [{"rule": rule["name"], "agent": agent, "until": (base + 10 * MINUTE).isoformat(), "reason": "deploy"}]
    settings.alerts_rules_file.write_text(yaml.safe_dump(text))  # type: ignore[union-attr]
    engine = AlertEngine(service.store, settings, load_rules(settings.alerts_rules_file))
    run_cycles(engine, base, 2, 5, 9)
    assert receivers.webhook.bodies() == []
    run_cycles(engine, base, 10)  # the silence ended while it still fires: the page goes out now
    assert [b["kind"] for b in receivers.webhook.bodies()] == ["trigger"]


def test_state_machine_holds_for_and_repeats() -> None:
    start = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    state = SeriesState("r", "k", "default", "a", "{}")
    hold, repeat = dt.timedelta(minutes=3), dt.timedelta(hours=1)
    steps = []
    for minute, breached in ((0, True), (1, True), (2, False), (3, True), (6, True), (30, True), (66, True), (67, False)):
        step = advance(state, breached, start + minute * MINUTE, hold, repeat, silenced=False)
        state = step.state
        steps.append((minute, state.state, step.notify))
    assert steps == [(0, PENDING, None), (1, PENDING, None), (2, "ok", None), (3, PENDING, None), (6, FIRING, "trigger"),
                     (30, FIRING, None), (66, FIRING, "repeat"), (67, "resolved", "resolve")]


@pytest.mark.parametrize(("rule", "message"), [
    ({"name": "a", "kind": "threshold", "metric": "cost_p95", "above": 1, "for": "5 minutes"}, "rule #1 ('a'): field 'for': not a duration"),
    ({"name": "b", "kind": "threshold", "metric": "latency", "above": 1}, "rule #1 ('b'): field 'metric': unknown metric 'latency'"),
    ({"name": "c", "kind": "threshold", "metric": "cost_p95"}, "rule #1 ('c'): give exactly one of above or below"),
    ({"name": "d", "kind": "regresion", "metric": "cost_p95"}, "rule #1 ('d'): field 'kind': must be one of"),
    ({"name": "e", "kind": "runaway_session"}, "rule #1 ('e'): give at least one of max_steps"),
    ({"name": "f", "kind": "threshold", "metric": "cost_p95", "above": 1, "channels": ["pager"]}, "rule #1 ('f'): field 'channels': unknown channel 'pager'"),
    ({"name": "g", "kind": "threshold", "metric": "cost_p95", "above": 1, "channels": ["email"]}, "rule #1 ('g'): field 'channels': email not configured"),
    ({"name": "h", "kind": "regression", "metric": "success_rate", "group_by": ["agent"]}, "rule #1 ('h'): field 'group_by'"),
    ({"name": "i", "kind": "threshold", "metric": "cost_p95", "above": 1, "colour": "red"}, "rule #1 ('i'): field 'colour': Extra inputs"),
])
def test_rule_errors_name_the_rule_and_field(rule, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AlertRulesError) as caught:
        parse_rules({"rules": [rule]}, "rules.yaml", configured_channels=("pagerduty", "slack"))
    assert message in str(caught.value), str(caught.value)


def test_dashboard_rules_table_describes_each_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from dashboards.alerts_data import alert_rules
    from spanledger.settings import load_settings

    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [
        {"name": "sla", "kind": "threshold", "metric": "cost_p95", "agent": "support", "above": 0.25, "window": "15m", "for": "5m"},
        {"name": "loop", "kind": "runaway_session", "max_steps": 50, "max_cost_usd": 5}]}))
    rules, problem = alert_rules(load_settings(alerts_rules_file=str(path)))
    assert problem == ""
    rows = {row["name"]: row for row in rules.iter_rows(named=True)}
    assert rows["sla"]["condition"].startswith("cost_p95 > 0.25 over 15m") and rows["sla"]["scope"] == "agent=support"
    assert rows["sla"]["for"] == "0:05:00" and rows["loop"]["condition"].endswith("> 50 steps or > $5")
    path.write_text("rules: [{name: x, kind: threshold}]")
    rules, problem = alert_rules(load_settings(alerts_rules_file=str(path)))
    assert rules.is_empty() and "rule #1 ('x')" in problem


def test_readme_rules_example_is_valid() -> None:
    import re
    from pathlib import Path

    import yaml

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = re.search(r"## Alerts\n.*?```yaml\n(.*?)```", readme, re.DOTALL).group(1)  # type: ignore[union-attr]
    rules = parse_rules(yaml.safe_load(example), "README", configured_channels=("pagerduty", "slack", "webhook", "email"))
    assert [rule.kind for rule in rules.rules] == ["threshold", "regression", "no_data", "runaway_session"]
    assert rules.rules[0].for_ == dt.timedelta(minutes=5) and len(rules.silences) == 1
