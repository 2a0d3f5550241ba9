"""The scheduled jobs run below the loads: every statement of a pass carries os_thread_priority = jobs_nice, so that
when the CPU is full ClickHouse gives the loads and the requests the cores first (README, Ingest performance)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from jobs.runner import JobRunner
from tests.conftest import rows
from tests.test_jobs_watermark import INSERT_SPAN


class RecordingBackend:
    """The service's backend, noting the settings each statement was sent with."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.sent: list[tuple[str, dict[str, Any] | None]] = []

    def execute(self, sql: str, params: Any = None, settings: dict[str, Any] | None = None) -> None:
        self.sent.append((sql, settings))
        self.backend.execute(sql, params, settings)

    def query_arrow(self, sql: str, params: Any = None, settings: dict[str, Any] | None = None) -> Any:
        self.sent.append((sql, settings))
        return self.backend.query_arrow(sql, params, settings)

    def insert_file(self, sql: str, path: Any, fmt: str, structure: str, params: Any = None,
                    settings: dict[str, Any] | None = None) -> int:
        self.sent.append((sql, settings))
        return self.backend.insert_file(sql, path, fmt, structure, params, settings)


def test_every_statement_of_a_pass_runs_at_the_jobs_priority(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    assert service.jobs.store.priority == {"os_thread_priority": service.settings.jobs_nice} and service.settings.jobs_nice == 10
    jobs_store = store.background(7)
    recording = jobs_store.backend = RecordingBackend(store.backend)
    runner = JobRunner(jobs_store, service.settings)
    runner._lock = service.jobs._lock  # taking turns with the service's scheduled passes
    agent = f"nice-{unique}"
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    store.backend.execute(INSERT_SPAN, {"trace": os.urandom(16).hex(), "agent": agent, "session": f"session-{unique}",
                                        "start": start.strftime("%Y-%m-%d %H:%M:%S.%f"),
                                        "stamped": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")})
    runner.incremental_pass()
    # the engine took the setting: the pass wrote the session
    assert rows(store, "SELECT spans FROM sessions FINAL WHERE agent_name = {a:String}", {"a": agent}) == [{"spans": 1}]
    statements = [sql.split("\n")[0] for sql, _ in recording.sent]
    assert len(statements) >= 8, statements  # watermarks, sessions, rollups
    assert [first for (first, (_, sent)) in zip(statements, recording.sent, strict=True)
            if (sent or {}).get("os_thread_priority") != 7] == []


def test_nice_zero_sends_no_priority(store) -> None:  # type: ignore[no-untyped-def]
    recording = RecordingBackend(store.backend)
    jobs_store = store.background(0)
    jobs_store.backend = recording
    jobs_store.frame("jobs_now")
    jobs_store.run("jobs_set_watermark", {"job": "nice-zero-test", "watermark": "2026-01-01 00:00:00.000000"})
    assert [settings for _, settings in recording.sent] == [None, None]
