"""A server with SPANLEDGER_AUTH_REQUIRED=true and two tenants: requests without credentials are refused, and a
tenant reads none of the other tenant's spans, sessions, rollups or weekly review through the API, the CLI and
the UI (a real browser signs in). Keys and users are made with the CLI before the server starts (local door)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from jobs.time_ranges import week_name
from tests.serve_process import ServeProcess
from tests.tenant_spans import exporter, send_session

CLI = str(Path(sys.executable).with_name("spanledger"))
PASSWORD = "correct horse battery"


@dataclass
class Tenants:
    server: ServeProcess
    keys: dict[str, str] = field(default_factory=dict)  # 'viewer-a', 'ingest-b', 'admin', ...
    sessions: dict[str, list[str]] = field(default_factory=dict)  # tenant -> session ids
    week: str = ""

    def cli(self, *args: str, key: str = "", stdin: str | None = None, url: bool = True) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SPANLEDGER_API_KEY": key}
        extra = ["--url", self.server.http] if url else []
        return subprocess.run([CLI, *args, *extra], capture_output=True, text=True, env=env, input=stdin, timeout=120)

    def api(self, path: str, body: dict[str, Any] | None = None, key: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        sent = {**({"x-api-key": key} if key else {}), **(headers or {})}
        if body is None:
            return httpx.get(self.server.http + path, headers=sent, timeout=60)
        return httpx.post(self.server.http + path, json=body, headers=sent, timeout=60)

    def query(self, sql: str, key: str) -> list[list[Any]]:
        response = self.api("/api/query", {"sql": sql}, key)
        assert response.status_code == 200, response.text
        return response.json()["rows"]


def sessions_in(metrics: dict[str, Any]) -> int:
    return sum(group.get("sessions") or 0 for group in metrics["groups"])


def _local(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    """A CLI command on the store directly (no server answers at port 1): how the first keys are made."""
    done = subprocess.run([CLI, *args, "--data-dir", str(data_dir), "--url", "http://127.0.0.1:1"], capture_output=True,
                          text=True, input=stdin, timeout=120, env={**os.environ, "SPANLEDGER_LOG_LEVEL": "WARNING"})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    data_dir = tmp_path_factory.mktemp("auth") / "data"
    keys = {}
    for tenant in ("a", "b"):
        keys[f"ingest-{tenant}"] = _local(data_dir, "keys", "create", "--tenant", f"tenant-{tenant}")
        keys[f"viewer-{tenant}"] = _local(data_dir, "keys", "create", "--tenant", f"tenant-{tenant}", "--role", "viewer")
    keys["admin"] = _local(data_dir, "keys", "create", "--tenant", "tenant-a", "--role", "admin")
    _local(data_dir, "users", "create", "alice", "--tenant", "tenant-a", "--password-stdin", stdin=PASSWORD + "\n")
    _local(data_dir, "users", "create", "root", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    _local(data_dir, "users", "create", "sso-bob", "--tenant", "tenant-b", "--no-password")
    server = ServeProcess(data_dir, {"SPANLEDGER_AUTH_REQUIRED": "true", "SPANLEDGER_AUTH_PROXY_HEADER": "X-Forwarded-User",
                                     "SPANLEDGER_QUERY_MAX_SECONDS": "1", "SPANLEDGER_JOBS_ENABLED": "false",
                                     "SPANLEDGER_FSYNC": "false"}).start()
    found = Tenants(server, keys)
    try:
        for tenant in ("a", "b"):
            found.sessions[f"tenant-{tenant}"] = []
            for index in range(3):
                session = f"{tenant}-session-{index}"
                results = send_session(exporter(server.grpc_target, keys[f"ingest-{tenant}"]), f"agent-{tenant}", session,
                                       tokens=1000 * (index + 1))
                assert results == [SpanExportResult.SUCCESS] * 2
                found.sessions[f"tenant-{tenant}"].append(session)
        server.wait_drained()
        found.week = week_name(dt.datetime.now(dt.UTC))
        for job in (("jobs", "run"), ("jobs", "weekly-review", "--week", found.week)):
            done = found.cli(*job, key=keys["admin"])
            assert done.returncode == 0, done.stderr
        yield found
    finally:
        server.close()


def test_requests_without_credentials_are_refused(tenants: Tenants) -> None:
    channel = grpc.insecure_channel(tenants.server.grpc_target)
    export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
    with pytest.raises(grpc.RpcError) as refused:
        export(b"", timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert send_session(exporter(tenants.server.grpc_target, None), "agent-x", "no-key") == [SpanExportResult.FAILURE] * 2
    assert httpx.post(tenants.server.http + "/v1/traces", content=b"", headers={"Content-Type": "application/x-protobuf"}).status_code == 401
    for path, body in (("/api/query", {"sql": "SELECT 1"}), ("/api/metrics", {"agent": "agent-a"}), ("/api/keys", None)):
        assert tenants.api(path, body).status_code == 401, path
    assert tenants.api("/healthz").status_code == 200  # health and readiness stay open
    page = httpx.get(tenants.server.ui + "/", follow_redirects=False)
    assert page.status_code == 302 and page.headers["location"].startswith("/login")
    assert httpx.post(tenants.server.ui + "/_dash-update-component", json={}).status_code == 401
    assert httpx.get(tenants.server.ui + f"/export/weekly-review.csv?week={tenants.week}&tenant=tenant-b").status_code == 401
    failed = tenants.cli("query", "SELECT 1")
    assert failed.returncode != 0 and "401" in failed.stderr + failed.stdout or "API key" in failed.stderr


def test_a_tenant_reads_only_its_own_rows_through_the_api(tenants: Tenants) -> None:
    viewer = tenants.keys["viewer-a"]
    for table in ("spans", "sessions", "rollup_agents", "rollup_calls", "weekly_top_sessions"):
        assert tenants.query(f"SELECT DISTINCT tenant FROM {table}", viewer) == [["tenant-a"]], table
        assert tenants.query(f"SELECT count() FROM {table} WHERE tenant = 'tenant-b'", viewer) == [[0]], table
    assert sorted(row[0] for row in tenants.query("SELECT DISTINCT session_id FROM spans", viewer)) == tenants.sessions["tenant-a"]
    # The admin sees both tenants, so the rows the viewer did not see exist.
    assert tenants.query("SELECT DISTINCT tenant FROM spans ORDER BY tenant", tenants.keys["admin"]) == [["tenant-a"], ["tenant-b"]]
    for escape in ("SELECT count() FROM spans SETTINGS additional_table_filters = {}",
                   "SELECT * FROM (SELECT count() FROM spans SETTINGS additional_table_filters = {})",
                   "SELECT count() FROM merge('spans')", "SELECT count() FROM system.parts", "SELECT 1 WHERE 'x' IN spans",
                   "SELECT count() FROM default.spans", "SHOW TABLES", "WITH s AS (SELECT * FROM spans) SELECT count() FROM s"):
        response = tenants.api("/api/query", {"sql": escape}, viewer)
        assert response.status_code == 400, (escape, response.text)
    metrics = tenants.api("/api/metrics", {"agent": "agent-b", "since": "7d", "until": "now"}, viewer)
    assert metrics.status_code == 200 and metrics.json()["tenant"] == "tenant-a" and sessions_in(metrics.json()) == 0, metrics.text
    assert tenants.api("/api/metrics", {"agent": "agent-b", "tenant": "tenant-b", "since": "7d", "until": "now"}, viewer).status_code == 403
    review = tenants.api("/api/reports/top-sessions", {"week": tenants.week}, viewer).json()
    assert sorted(row["session_id"] for row in review["sessions"]) == tenants.sessions["tenant-a"]
    assert tenants.api("/api/reports/top-sessions", {"week": tenants.week, "tenant": "tenant-b"}, viewer).status_code == 403


def test_a_tenant_reads_only_its_own_rows_through_the_cli(tenants: Tenants) -> None:
    viewer = tenants.keys["viewer-b"]
    done = tenants.cli("query", "SELECT DISTINCT session_id FROM sessions ORDER BY session_id", "--format", "json", key=viewer)
    assert done.returncode == 0, done.stderr
    assert [row["session_id"] for row in json.loads(done.stdout)] == tenants.sessions["tenant-b"]
    report = tenants.cli("report", "top-sessions", "--week", tenants.week, "--format", "json", key=viewer)
    assert report.returncode == 0, report.stderr
    assert sorted(row["session_id"] for row in json.loads(report.stdout)["sessions"]) == tenants.sessions["tenant-b"]
    other = tenants.cli("metrics", "--agent", "agent-a", "--since", "7d", "--format", "json", key=viewer)
    assert other.returncode == 0 and sessions_in(json.loads(other.stdout)) == 0, other.stderr
    own = tenants.cli("metrics", "--agent", "agent-b", "--since", "7d", "--format", "json", key=viewer)
    assert sessions_in(json.loads(own.stdout)) == 3, own.stdout
    refused = tenants.cli("report", "top-sessions", "--week", tenants.week, "--tenant", "tenant-a", key=viewer)
    assert refused.returncode != 0 and "tenant-b" in refused.stderr


def test_a_trusted_proxy_names_the_user(tenants: Tenants) -> None:
    as_bob = {"X-Forwarded-User": "sso-bob"}
    response = tenants.api("/api/query", {"sql": "SELECT DISTINCT tenant FROM spans"}, headers=as_bob)
    assert response.status_code == 200 and response.json()["rows"] == [["tenant-b"]]
    assert tenants.api("/api/keys", headers=as_bob).status_code == 403  # a viewer
    assert tenants.api("/api/query", {"sql": "SELECT 1"}, headers={"X-Forwarded-User": "mallory"}).status_code == 401
    ui = httpx.get(tenants.server.ui + "/", headers=as_bob, follow_redirects=False)
    assert ui.status_code == 200


def test_users_sign_in_with_passwords_and_roles(tenants: Tenants) -> None:
    login = tenants.server.ui + "/login"
    assert httpx.post(login, data={"username": "alice", "password": "wrong password"}).status_code == 401
    with httpx.Client(base_url=tenants.server.ui) as client:
        signed_in = client.post("/login", data={"username": "alice", "password": PASSWORD, "next": "/weekly"}, follow_redirects=False)
        assert signed_in.status_code == 302 and signed_in.headers["location"] == "/weekly"
        for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "/\tevil"):
            away = client.post("/login", data={"username": "alice", "password": PASSWORD, "next": elsewhere}, follow_redirects=False)
            assert away.headers["location"] == "/", elsewhere  # a sign-in never sends the browser to another site
        csv = client.get(f"/export/weekly-review.csv?week={tenants.week}&tenant=tenant-b")
        assert csv.status_code == 200 and {line.split(",")[1] for line in csv.text.splitlines()[1:]} == set(tenants.sessions["tenant-a"])
    stored = tenants.query("SELECT password_hash FROM users FINAL WHERE username = 'alice'", tenants.keys["admin"])
    assert stored[0][0].startswith("$argon2") and PASSWORD not in stored[0][0]
    listed = tenants.cli("users", "list", key=tenants.keys["admin"])
    assert listed.returncode == 0 and "alice" in listed.stdout and "sso-bob" in listed.stdout
    assert tenants.cli("users", "list", key=tenants.keys["viewer-a"]).returncode != 0


def test_query_time_is_limited(tenants: Tenants) -> None:
    response = tenants.api("/api/query", {"sql": "SELECT sum(number) FROM numbers(1000000000000)"}, tenants.keys["admin"])
    assert response.status_code == 400 and "Timeout exceeded" in response.text, response.text


def test_a_viewer_sees_only_its_tenant_in_the_browser(tenants: Tenants, browser: Any) -> None:
    from tests.conftest import ARTIFACTS
    from tests.test_dashboards_browser import Page

    page = Page(browser, tenants.server.ui)
    try:
        tab = page.tab
        today = dt.datetime.now(dt.UTC).date()
        tab.goto(tenants.server.ui + f"/sessions?from={today - dt.timedelta(days=1)}&to={today + dt.timedelta(days=1)}&tenant=tenant-b")
        tab.wait_for_url(lambda url: "/login?next=" in url)
        tab.fill("#login-user", "alice")
        tab.fill("#login-password", "not the password")
        tab.click("#login-submit")
        assert "wrong user name or password" in tab.locator("#login-problem").inner_text()
        page.problems.clear()  # the 401 answer of the failed sign-in is logged by the browser
        tab.fill("#login-user", "alice")
        tab.fill("#login-password", PASSWORD)
        tab.click("#login-submit")
        tab.wait_for_url(lambda url: "/sessions" in url and "/login" not in url)
        page.ready()
        assert sorted(page.keys("sessions-table")) == tenants.sessions["tenant-a"]  # the URL asked for tenant-b
        assert "tenant-b" not in tab.inner_text("body")
        page.open("/?tenant=tenant-b")  # the overview reads the rollups
        assert set(page.column("overview-table", 1)) == {"agent-a"} and "tenant-b" not in tab.inner_text("body")
        page.open(f"/weekly?week={tenants.week}&tenant=tenant-b")
        assert sorted(page.keys("weekly-table")) == tenants.sessions["tenant-a"]
        page.open("/alerts?tenant=tenant-b")
        assert "Rules and notifications cover every tenant: admins only." in tab.inner_text("body")
        page.open("/sessions/b-session-0?tenant=tenant-b")
        assert "No spans of session b-session-0 in tenant tenant-a" in tab.inner_text("body")
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "ui-login-viewer-sessions.png"), full_page=True)
    finally:
        page.context.close()
    assert page.problems == [], page.problems


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.test_dashboards_browser import browser as launch

    yield from launch.__wrapped__()  # type: ignore[attr-defined]


def test_alert_rules_states_and_history_are_admin_only(tenants: Tenants) -> None:
    for path in ("/api/alerts/check", "/api/alerts/states", "/api/alerts/history"):
        assert tenants.api(path, {}, tenants.keys["viewer-a"]).status_code == 403, path
        assert tenants.api(path, {}).status_code == 401, path
    assert tenants.api("/api/alerts/states", {"all": True}, tenants.keys["admin"]).status_code == 200
