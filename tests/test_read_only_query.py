"""The read-only query door (/api/query, `spanledger query`) refuses writes, DDL and every way around its
limits; the row limit holds; the UI and API readers run within the query limits too."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dashboards.filters import View
from dashboards.sessions_data import SessionSearch, search_sessions
from spanledger.settings import load_settings
from store import Store, StoreError
from store.read_only import TENANT_TABLES
from tests.conftest import rows

CLI = str(Path(sys.executable).with_name("spanledger"))
WRITES = [
    "INSERT INTO spans (trace_id) VALUES ('x')",
    "INSERT INTO spans SELECT * FROM spans LIMIT 1",
    "DROP TABLE spans",
    "TRUNCATE TABLE spans",
    "ALTER TABLE spans DELETE WHERE 1",
    "ALTER TABLE spans DROP COLUMN cost_usd",
    "CREATE TABLE evil (x UInt8) ENGINE = Memory",
    "RENAME TABLE spans TO spans_gone",
    "OPTIMIZE TABLE spans FINAL",
    "SYSTEM STOP MERGES",
    "SET readonly = 0",
    "KILL QUERY WHERE 1",
    "GRANT ALL ON *.* TO default",
    "SELECT 1; DROP TABLE spans",
    "SELECT 1 AS \"x'\"; DROP TABLE spans; SELECT ''",  # a quote inside a double-quoted identifier hides the ';' from naive checks
    "SELECT 1 /* ; */ ; DROP TABLE spans",
    "SELECT count() FROM spans SETTINGS readonly = 0",
    "SELECT * FROM (SELECT count() FROM spans SETTINGS max_execution_time = 100000)",
    "SELECT * FROM spans INTO OUTFILE '/tmp/spanledger-outfile-test.csv'",
    "EXPLAIN SELECT 1; DROP TABLE spans",
]


def _post(service, sql: str, **extra: object) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.post(f"http://127.0.0.1:{service.http_port}/api/query", json={"sql": sql, **extra}, timeout=60)


def test_writes_and_ddl_are_refused_through_the_api_and_the_cli(service, store) -> None:  # type: ignore[no-untyped-def]
    tables = rows(store, "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name")
    spans = rows(store, "SELECT count() AS n FROM spans")[0]["n"]
    for sql in WRITES:
        response = _post(service, sql)
        assert response.status_code == 400, (sql, response.text)
    for sql in WRITES[::4]:  # the CLI goes through the same door: a sample, each is a process start
        done = subprocess.run([CLI, "query", sql, "--url", f"http://127.0.0.1:{service.http_port}"], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0, sql
    assert rows(store, "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name") == tables
    assert rows(store, "SELECT count() AS n FROM spans")[0]["n"] >= spans  # nothing deleted (other tests may add)
    assert not Path("/tmp/spanledger-outfile-test.csv").exists()
    # Nor does it read outside the store, even for an admin.
    for sql in ("SELECT * FROM file('/etc/hostname', 'LineAsString')", "SELECT file('/etc/hostname')",
                "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", "SELECT * FROM executable('id', 'TSV', 'x String')"):
        assert _post(service, sql).status_code == 400, sql
    # What the door is for still works, ';' inside a string included.
    assert _post(service, "SELECT 'a;b' AS text").json()["rows"] == [["a;b"]]
    assert _post(service, "SHOW TABLES").status_code == 200 and _post(service, "DESCRIBE TABLE spans").status_code == 200
    assert _post(service, "SELECT count() FROM numbers(10)").json()["rows"] == [[10]]


def test_the_row_limit_holds_and_a_caller_cannot_raise_it(service) -> None:  # type: ignore[no-untyped-def]
    assert len(_post(service, "SELECT number FROM numbers(300000)", max_rows=7).json()["rows"]) == 7
    limit = service.settings.query_max_rows
    assert len(_post(service, "SELECT number FROM numbers(300000)", max_rows=10 * limit).json()["rows"]) == limit


def test_every_tenant_table_has_a_tenant_column(store) -> None:  # type: ignore[no-untyped-def]
    """additional_table_filters filters these by `tenant`: a table without one would fail every tenant's query."""
    found = {row["table"] for row in rows(store, "SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'tenant'")}
    assert set(TENANT_TABLES) <= found


def test_the_ui_and_api_readers_are_limited(service, dashboard_fleet) -> None:  # type: ignore[no-untyped-def]
    assert service._ui.app.server is not None
    tight = Store(service.store.backend, load_settings(data_dir=str(service.settings.data_dir), query_max_rows=3)).limited()
    view = View(since=dt.datetime.now(dt.UTC) - dt.timedelta(days=7), until=dt.datetime.now(dt.UTC))
    with pytest.raises(StoreError, match="Limit for result exceeded.*SPANLEDGER_QUERY_MAX_ROWS=3 rows"):
        search_sessions(tight, view, SessionSearch())
    assert search_sessions(service.store.limited(), view, SessionSearch()).height > 3  # the same under the configured limit
