"""The incremental pass's watermark and loads still in flight: a load stamps its spans' ingested_at when it
starts and they become visible when it ends, so a pass that starts in between must leave them to the next one,
with no late window to catch them."""

from __future__ import annotations

import datetime as dt
import os
import threading

from jobs.runner import JobRunner
from tests.conftest import rows

INSERT_SPAN = """
INSERT INTO spans (tenant, trace_id, span_id, name, start_time, end_time, duration_ns, status_code, service_name,
                   agent_name, agent_version, operation, session_id, ingested_at)
VALUES ('default', {trace:String}, 'aaaaaaaaaaaaaaaa', 'invoke_agent', {start:DateTime64(9)}, {start:DateTime64(9)} + 1,
        1000000000, 'OK', 'svc', {agent:String}, 'v1', 'invoke_agent', {session:String}, {stamped:DateTime64(3)})
"""


def test_a_load_in_flight_when_a_pass_starts_reaches_the_next_pass(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # The service's runner with no late window at all, taking turns with its scheduler's passes.
    runner = JobRunner(store, service.settings.model_copy(update={"jobs_late_window_seconds": 0}))
    runner._lock = service.jobs._lock
    agent = f"watermark-{unique}"
    runner.incremental_pass()
    holding, release = threading.Event(), threading.Event()

    def load_in_flight() -> None:
        with store._lane():  # a load that began before the pass and ends after it
            holding.set()
            release.wait(30)

    loader = threading.Thread(target=load_in_flight)
    loader.start()
    try:
        assert holding.wait(10)
        before = runner.now()  # the load stamps its spans about now
        threading.Event().wait(0.3)
        runner.incremental_pass()
        # ...and they become visible when it ends, after the pass
        store.backend.execute(INSERT_SPAN, {"trace": os.urandom(16).hex(), "agent": agent, "session": f"session-{unique}",
                                            "start": (before - dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                                            "stamped": before.strftime("%Y-%m-%d %H:%M:%S.%f")})
    finally:
        release.set()
        loader.join()
    runner.incremental_pass()
    found = rows(store, "SELECT session_id, spans FROM sessions FINAL WHERE agent_name = {a:String}", {"a": agent})
    assert found == [{"session_id": f"session-{unique}", "spans": 1}]
