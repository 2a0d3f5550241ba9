"""The weekly top-10 review delivered to the alert channels: once per week and tenant, with each session's
cost, id and a link to its waterfall; PagerDuty is refused as a destination for a report."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.engine import AlertEngine
from alerts.rules import AlertRulesError, RuleSet
from jobs.time_ranges import week_name
from tests.alert_fleet import agent_session, send_and_roll_up


def test_weekly_review_goes_to_the_review_channels_once(service, receivers, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    agent = f"weekly-{unique}"
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    week = week_name(start)
    # Far costlier than anything else the shared store holds this week: these are the tenant's top sessions.
    costly = [agent_session(agent, f"{agent}-{i}", start + dt.timedelta(seconds=i), 5000.0 + i) for i in range(12)]
    send_and_roll_up(service, costly)
    service.jobs.weekly_review(week)
    settings = receivers.settings(service, tmp_path, [], alerts_weekly_review_channels=["slack", "webhook"])
    engine = AlertEngine(service.store, settings, RuleSet())
    # Other tests may have stored sessions of this week for other tenants: each tenant gets its own review.
    tenants = service.store.frame("alerts_review_tenants", {"week": week}).get_column("tenant").to_list()
    assert "default" in tenants
    assert engine.send_weekly_review(week) == 2 * len(tenants)  # one notification per tenant, two channels
    assert engine.send_weekly_review(week) == 0  # the scheduler running it again sends nothing twice
    engine.deliver()
    slack = [body for body in receivers.slack.bodies() if "(default)" in body["text"]]
    assert len(slack) == 1 and f"Weekly review {week}" in slack[0]["text"]
    text = str(slack[0]["blocks"])
    top = sorted(costly, key=lambda s: -float(s.key.rsplit("-", 1)[1]))[:10]
    for session in top:
        assert session.key in text and f"/sessions/{session.key}" in text
    assert costly[0].key not in text.replace(costly[10].key, "").replace(costly[11].key, "")  # the two cheapest are not top 10
    hooks = [hook for hook in receivers.webhook.bodies() if hook["labels"]["tenant"] == "default"]
    assert len(hooks) == 1 and hooks[0]["kind"] == "weekly_review"
    assert [row["session_id"] for row in hooks[0]["sessions"]] == [session.key for session in top]
    assert receivers.pagerduty.bodies() == []


def test_pagerduty_is_not_a_review_channel(service, receivers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = receivers.settings(service, tmp_path, [], alerts_weekly_review_channels=["pagerduty"])
    with pytest.raises(AlertRulesError, match="ALERTS_WEEKLY_REVIEW_CHANNELS"):
        AlertEngine(service.store, settings, RuleSet())


def test_scheduler_hands_the_weekly_review_to_the_alerts(service) -> None:  # type: ignore[no-untyped-def]
    from jobs.scheduler import JobScheduler
    from jobs.time_ranges import previous_week

    weeks: list[str] = []
    JobScheduler(service.jobs, service.settings, after_weekly=weeks.append)._weekly()
    assert weeks == [previous_week(service.jobs.now())]
