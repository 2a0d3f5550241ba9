"""Shared fixtures: one running spanledger per test session (chDB allows one data directory per process).

Tests keep apart by the ids they send (service names, session ids), not by fresh stores.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from spanledger.service import Service
from spanledger.settings import load_settings

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Real export requests captured from instrumentation libraries, with manifests: a copy of the team's
# shared/fixtures/otlp, kept in the repository so a clone anywhere runs the same tests.
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "otlp"


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A spanledger on free loopback ports, on the server store when SPANLEDGER_TEST_CLICKHOUSE_URL is set.
    The only spanledger on its store: no late window, so a pass reads again only what changed since the last one."""
    data_dir = tmp_path_factory.mktemp("spanledger")
    settings = load_settings(data_dir=str(data_dir), grpc_port=0, http_port=0, ui_port=0, batch_max_delay_ms=20,
                             fsync=False, jobs_late_window_seconds=0,
                             clickhouse_url=os.environ.get("SPANLEDGER_TEST_CLICKHOUSE_URL", ""))
    running = Service(settings)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def ui_url(service: Service) -> str:
    """The dashboards of the session's service (started on a free port with it)."""
    return f"http://127.0.0.1:{service.ui_port}"


@pytest.fixture(scope="session")
def dashboard_fleet(service: Service):  # type: ignore[no-untyped-def]
    """Demo fleet sessions of the past 48 hours under agent names of their own, with sessions, rollups,
    model rollups and the weekly reviews computed: what the dashboard tests look at."""
    from tests.dashboard_fleet import fill_dashboard_fleet

    return fill_dashboard_fleet(service)


@pytest.fixture
def store(service: Service):  # type: ignore[no-untyped-def]
    assert service.store is not None
    return service.store


@pytest.fixture
def unique() -> str:
    """A fresh name for what a test sends, so tests sharing one store never see each other's spans."""
    return uuid.uuid4().hex[:12]


def rows(store, sql: str, params: dict | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    """Query helper for assertions: a list of dicts."""
    return store.backend.query_arrow(sql, params).to_pylist()


@contextmanager
def instrumented(service: Service, name: str, instrumentor: Any) -> Iterator[None]:
    """An instrumentor on a tracer provider of its own (service `name`, version 1.2.0) that exports each span over
    OTLP/HTTP to the running service as it ends; every span is stored by the time the block is left."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": name, "service.version": "1.2.0"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{service.http_port}/v1/traces")))
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
    service.flush()


def run_jobs(service: Service) -> None:
    """One pass of the scheduled jobs, as `spanledger jobs run` starts it against the running service."""
    from click.testing import CliRunner

    from spanledger.cli import main

    result = CliRunner().invoke(main, ["jobs", "run", "--url", f"http://127.0.0.1:{service.http_port}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture
def receivers() -> Iterator[Any]:
    """Local PagerDuty, Slack, webhook and SMTP receivers on loopback (tests/alert_receivers.py); at the end,
    nothing may have been rejected as off the services' documented formats."""
    from tests.alert_fleet import ROUTING_KEY, WEBHOOK_SECRET, Receivers
    from tests.alert_receivers import SmtpReceiver, pagerduty_receiver, slack_receiver, webhook_receiver

    found = Receivers(pagerduty_receiver(ROUTING_KEY).start(), slack_receiver().start(), webhook_receiver(WEBHOOK_SECRET).start(),
                      SmtpReceiver().start())
    yield found
    for receiver in (found.pagerduty, found.slack, found.webhook, found.smtp):
        receiver.stop()
    assert found.pagerduty.rejected == [] and found.slack.rejected == [] and found.webhook.rejected == []
