"""Injection: quotes, backslashes, comments, unicode and SQL fragments thrown into every UI and API filter must
give an error or a literal match, never extra rows. One tenant of this test's own holds agents whose names are
themselves such strings, so a literal match can be told from an injected one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export import SpanExportResult

from dashboards import data
from dashboards.filters import View
from dashboards.sessions_data import SessionSearch, search_sessions, session_row, weekly_review
from jobs.time_ranges import week_name
from store import StoreError
from tests.tenant_spans import exporter, send_session

NASTY = ["o'brien", "back\\slash", "semi;colon -- comment", 'dq"uote', "ünïcødé ✓ 日本", "x' OR '1'='1", "/* c */ %_"]
FRAGMENTS = ["'", "\\", "\\'", "''", '"', "`", ";", "--", "/*", "*/", "#", "%", "_", "\x00", "\n", "{tenant:String}",
             "' OR 1=1 --", "') OR ('a'='a", "' UNION ALL SELECT * FROM spans --", "\\' OR 1=1 #", "'; DROP TABLE spans; --",
             "' || (SELECT tenant FROM spans LIMIT 1) || '", "é", "🙂", "\u202e", "NULL", "1=1", "*"]


@dataclass
class Fleet:
    tenant: str
    agents: list[str]
    sessions: dict[str, list[str]]  # agent -> its session ids
    week: str
    base: str


@pytest.fixture(scope="module")
def fleet(service: Any) -> Fleet:
    tenant = "fuzz-" + dt.datetime.now().strftime("%H%M%S%f")
    key = service.directory.create_key(tenant, "viewer")["key"]
    agents = [f"fz {name}" for name in NASTY]
    sessions: dict[str, list[str]] = {}
    for index, agent in enumerate(agents):
        sessions[agent] = [f"{tenant}-{index}-{n}" for n in range(2)]
        for session in sessions[agent]:
            assert send_session(exporter(f"127.0.0.1:{service.grpc_port}", key), agent, session) == [SpanExportResult.SUCCESS] * 2
    service.flush()
    service.jobs.incremental_pass()
    week = week_name(dt.datetime.now(dt.UTC))
    service.jobs.weekly_review(week)
    return Fleet(tenant, agents, sessions, week, f"http://127.0.0.1:{service.http_port}")


filters = st.one_of(st.sampled_from([f"fz {name}" for name in NASTY]), st.sampled_from(FRAGMENTS),
                    st.builds(lambda agent, fragment: agent + fragment, st.sampled_from([f"fz {name}" for name in NASTY]), st.sampled_from(FRAGMENTS)),
                    st.text(alphabet=st.sampled_from(list("'\"\\`;-/*#%_ \n\tabcOR=()é日🙂")), min_size=1, max_size=30))
# (An empty value is no filter at all, in the URL and the API alike.)


def _view(fleet: Fleet, **values: Any) -> View:
    now = dt.datetime.now(dt.UTC)
    return View(since=now - dt.timedelta(days=2), until=now + dt.timedelta(hours=1), tenant=fleet.tenant, **values)


def _only(frame: Any, column: str, value: str) -> int:
    """Rows of frame; all of them must hold value in column (a literal match)."""
    if column in frame.columns:
        assert set(frame.get_column(column).to_list()) <= {value}, (column, value, frame)
    return frame.height


def _or_error(call: Any) -> Any:
    try:
        return call()
    except (StoreError, ValueError):
        return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=filters)
def test_ui_filters_match_literally(service: Any, fleet: Fleet, value: str) -> None:
    store = service.store.limited()  # what the UI reads through
    expected = fleet.sessions.get(value, [])
    view = _view(fleet, agent=value)
    for frame in (_or_error(lambda: data.tool_calls(store, view)), _or_error(lambda: data.agent_buckets(store, view)),
                  _or_error(lambda: data.session_values(store, view)), _or_error(lambda: data.overview_figures(store, view)[0])):
        if frame is not None:
            _only(frame, "agent_name", value)
    options = _or_error(lambda: data.filter_options(store, View(since=view.since, until=view.until, tenant=value)))
    assert options is None or options.height == 0 or value == fleet.tenant  # the dropdowns of a tenant named by the filter
    found = _or_error(lambda: search_sessions(store, view, SessionSearch()))
    if found is not None:
        assert _only(found, "agent_name", value) == len(expected)
    for key, column in (("version", "agent_version"), ("environment", "environment")):
        frame = _or_error(lambda key=key: search_sessions(store, _view(fleet, **{key: value}), SessionSearch()))
        if frame is not None:
            _only(frame, column, value)
    searched = _or_error(lambda: search_sessions(store, _view(fleet), SessionSearch(user=value, session=value, outcome=value)))
    assert searched is None or set(searched.get_column("session_id").to_list()) <= {s for s in sum(fleet.sessions.values(), []) if value.lower() in s.lower()}
    assert _or_error(lambda: search_sessions(store, _view(fleet), SessionSearch(sort=value))) is None or value in ("first_start", "cost_usd", "duration_ms", "steps", "tokens", "spans", "error_spans", "agent_name", "agent_version", "environment", "user_id", "outcome", "session_id")
    review = _or_error(lambda: weekly_review(store, fleet.tenant, fleet.week, value))
    if review is not None:
        assert _only(review[0], "session_agent", value) == len(expected)
    assert _or_error(lambda: session_row(store, fleet.tenant, value)) is None
    other_tenant = _or_error(lambda: search_sessions(store, View(since=view.since, until=view.until, tenant=value), SessionSearch()))
    assert other_tenant is None or _only(other_tenant, "agent_name", "-") == 0
    # Through the UI's HTTP server: the weekly review export, whose filters come from the URL.
    csv = httpx.get(f"http://127.0.0.1:{service.ui_port}/export/weekly-review.csv",
                    params={"week": fleet.week, "tenant": fleet.tenant, "agent": value}, timeout=30)
    if csv.status_code == 200:
        assert len(csv.text.splitlines()) - 1 == len(expected), (value, csv.text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=filters)
def test_api_filters_match_literally(fleet: Fleet, value: str) -> None:
    expected = fleet.sessions.get(value, [])
    for body in ({"agent": value}, {"agent": fleet.agents[0], "version": value}, {"agent": fleet.agents[0], "environment": value},
                 {"agent": fleet.agents[0], "segment": value}, {"agent": fleet.agents[0], "tenant": value}):
        response = httpx.post(fleet.base + "/api/metrics", json={"tenant": fleet.tenant, "since": "2d", "until": "now", **body}, timeout=30)
        if response.status_code == 200:
            sessions = sum(group.get("sessions") or 0 for group in response.json()["groups"])
            allowed = len(expected) if body == {"agent": value} else (2 if body.get("tenant") == fleet.tenant else 0)
            assert sessions == allowed, (body, response.json())
        else:
            assert response.status_code in (400, 403), response.text
    review = httpx.post(fleet.base + "/api/reports/top-sessions", json={"week": fleet.week, "tenant": fleet.tenant, "agent": value,
                                                                         "compute": False}, timeout=30)
    assert review.status_code == 200
    assert sorted(row["session_id"] for row in review.json()["sessions"]) == sorted(expected)
    assert all(row["agent"] == value for row in review.json()["sessions"])
