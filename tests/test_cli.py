"""The CLI a user types: query through a server or straight from a data directory, clear setting errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("spanledger"))


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=env)


def test_query_json_through_the_server(service) -> None:  # type: ignore[no-untyped-def]
    result = _run("query", "SELECT 2 AS two, 'x' AS letter", "--url", f"http://127.0.0.1:{service.http_port}", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"two": 2, "letter": "x"}]


def test_query_csv_opens_the_data_dir_when_no_server_runs(tmp_path: Path) -> None:
    result = _run("query", "SELECT count() AS n FROM spans", "--url", "http://127.0.0.1:9", "--data-dir", str(tmp_path / "d"),
                  "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "n\n0"


def test_query_refuses_writes_with_a_message(tmp_path: Path) -> None:
    result = _run("query", "DROP TABLE spans", "--url", "http://127.0.0.1:9", "--data-dir", str(tmp_path / "d"))
    assert result.returncode != 0 and "only SELECT" in result.stderr


def test_invalid_setting_names_the_variable(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, SPANLEDGER_RETENTION_DAYS="-3")
    result = _run("serve", "--data-dir", str(tmp_path / "d"), env=env)
    assert result.returncode != 0 and "SPANLEDGER_RETENTION_DAYS" in result.stderr


def test_more_than_four_session_attribute_keys_are_refused() -> None:
    from spanledger.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="SPANLEDGER_SESSION_OUTCOME_ATTRIBUTES"):
        load_settings(session_outcome_attributes=["a", "b", "c", "d", "e"])
    assert load_settings(session_outcome_attributes=["a", "b", "c", "d"]).session_outcome_attributes == ["a", "b", "c", "d"]
