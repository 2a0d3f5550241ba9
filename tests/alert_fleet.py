"""Sessions with chosen cost, steps and outcome for the alert tests, exported over real OTLP/gRPC and
rolled up by the real jobs; and an alert engine wired to the local receivers with an injectable clock."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from alerts.engine import AlertEngine
from alerts.rules import load_rules
from jobs.time_ranges import floor_to
from spanledger.settings import Settings, load_settings
from tests.alert_receivers import HttpReceiver, SmtpReceiver
from tests.jobs_fleet import MS, Session, Span, _ns, export

ROUTING_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"  # 32 characters, like a PagerDuty integration key
WEBHOOK_SECRET = "whsec-test-secret"


def agent_session(agent: str, key: str, start: dt.datetime, cost: float, steps: int = 4, version: str = "1.0",
                  environment: str = "production", failed: bool = False, seed: int = 0) -> Session:
    """One finished session: an invoke_agent root and `steps` chat calls sharing the cost; root ERROR when failed."""
    rng = random.Random(f"{key}-{seed}")
    session = Session(key, agent, version, environment, "user-1", "")
    trace_id, root_id = rng.getrandbits(128) | 1, rng.getrandbits(64) | 1
    t = _ns(start) + MS
    share = round(cost / steps, 9)
    for _ in range(steps):
        session.spans.append(Span(trace_id, rng.getrandbits(64) | 1, root_id, "chat gpt-4o-mini", "chat", t, t + 50 * MS,
                                  {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
                                   "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10, "gen_ai.usage.cost": share},
                                  cost=share, tokens=(100, 10)))
        t += 60 * MS
    session.spans.insert(0, Span(trace_id, root_id, None, f"invoke_agent {agent}", "invoke_agent", _ns(start), t + MS,
                                 {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent,
                                  "gen_ai.agent.version": version, "gen_ai.conversation.id": key},
                                 error=failed))
    return session


def send_and_roll_up(service: Any, sessions: list[Session]) -> None:
    export(service.grpc_port, sessions)
    service.flush()
    service.jobs.incremental_pass()


def run_cycles(engine: AlertEngine, base: dt.datetime, *minutes: int) -> list[Any]:
    """One evaluation and one delivery round at each base + minute: the scheduler's cycle on an injected clock."""
    reports = []
    for minute in minutes:
        engine.evaluate(base + dt.timedelta(minutes=minute))
        reports.append(engine.deliver(base + dt.timedelta(minutes=minute)))
    return reports


def minute_base(hours_ago: float = 2.0) -> dt.datetime:
    return floor_to(dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago), 3600)


@dataclass
class Receivers:
    pagerduty: HttpReceiver
    slack: HttpReceiver
    webhook: HttpReceiver
    smtp: SmtpReceiver

    def settings(self, service: Any, tmp: Path, rules: list[dict[str, Any]], **extra: Any) -> Settings:
        path = tmp / "alert-rules.yaml"
        path.write_text(yaml.safe_dump({"rules": rules}))
        return load_settings(
            data_dir=str(service.settings.data_dir), alerts_rules_file=str(path), alerts_ui_url=f"http://127.0.0.1:{service.ui_port}",
            alert_pagerduty_routing_key=ROUTING_KEY, alert_pagerduty_url=self.pagerduty.url,
            alert_slack_webhook_url=self.slack.url, alert_webhook_url=self.webhook.url, alert_webhook_secret=WEBHOOK_SECRET,
            alert_smtp_host="127.0.0.1", alert_smtp_port=self.smtp.port, alert_smtp_starttls=False,
            alert_email_to=["oncall@example.com"], alert_http_timeout_seconds=2.0, alerts_retry_base_seconds=10.0,
            **extra)

    def engine(self, service: Any, tmp: Path, rules: list[dict[str, Any]], **extra: Any) -> AlertEngine:
        settings = self.settings(service, tmp, rules, **extra)
        from alerts.senders import configured_channels

        return AlertEngine(service.store, settings, load_rules(settings.alerts_rules_file, configured_channels(settings)))
