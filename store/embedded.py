"""Embedded backend: chDB (in-process ClickHouse) on an explicit data directory.

One process owns a data directory and one connection serves every thread, so each call holds a lock.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from chdb import session as chdb_session

from store import sql_files
from store.backend import StoreError

_TRAILING_SETTINGS = re.compile(r"\bSETTINGS\b[^()']*$", re.IGNORECASE)


def _with_settings(sql: str, settings: dict[str, Any] | None) -> str:
    """sql with settings added: to its own trailing SETTINGS clause when it ends with one (two would not parse)."""
    clause = _settings_clause(settings)
    if clause and _TRAILING_SETTINGS.search(sql.rstrip()):
        return sql.rstrip() + ", " + clause.removeprefix(" SETTINGS ")
    return sql + clause


def _settings_clause(settings: dict[str, Any] | None) -> str:
    if not settings:
        return ""
    parts = []
    for key, value in settings.items():
        if not key.replace("_", "").isalnum():
            raise StoreError(f"bad setting name {key!r}")
        if isinstance(value, str):
            # $$-quoting keeps multi-line text such as a .proto schema intact.
            if "$$" in value:
                raise StoreError(f"setting {key} contains '$$'")
            parts.append(f"{key} = $${value}$$")
        else:
            parts.append(f"{key} = {int(value) if isinstance(value, bool) else value}")
    return " SETTINGS " + ", ".join(parts)


class EmbeddedBackend:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "chdb"
        self._lock = threading.Lock()
        self._lanes: dict[int, EmbeddedBackend] = {}  # load lanes other than 0 (staged)
        try:
            self._session = chdb_session.Session(str(self.path))
        except Exception as exc:  # chDB raises plain exceptions
            raise StoreError(f"cannot open chDB store at {self.path}: {exc}") from exc

    def _run(self, sql: str, fmt: str, params: dict[str, Any] | None) -> Any:
        with self._lock:
            try:
                return self._session.query(sql, fmt, params=_escape_params(params))
            except Exception as exc:
                if fmt == "ArrowTable":
                    self._drain()
                first = sql.strip().splitlines()[0][:120] if sql.strip() else sql
                raise StoreError(f"{exc} [in: {first}]") from exc

    def _drain(self) -> None:
        """chDB leaves the rest of an Arrow result that failed midway (a row or time limit) to the next query,
        which then fails ('Unexpected empty message in IPC file format'): a throwaway query takes it."""
        for _ in range(2):
            try:
                self._session.query("SELECT 1", "ArrowTable")
                return
            except Exception:
                continue

    def execute(self, sql: str, params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> None:
        self._run(_with_settings(sql, settings), "CSV", params)

    def query_arrow(self, sql: str, params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> pa.Table:
        # chDB reads the Arrow result in place, from memory it reuses for the next query. The default
        # output_format_arrow_compression_method (lz4_frame) makes pyarrow decompress every buffer into memory of
        # its own; with 'none' a table read earlier changed under our feet (tests/test_store_results.py). Keep it.
        result = self._run(_with_settings(sql, settings), "ArrowTable", params)
        return result if isinstance(result, pa.Table) else pa.table({})

    def insert_file(self, sql: str, path: Path, fmt: str, structure: str,
                    params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> int:
        source = f"file('{_quote(str(path))}', '{fmt}', '{_quote(structure)}')"
        result = self._run(_with_settings(sql.replace("{source}", source), settings), "CSV", params)
        return int(result.rows_written()) if hasattr(result, "rows_written") else -1

    @contextmanager
    def staged(self, lane: int = 0) -> Iterator[EmbeddedBackend]:
        """Lane 0 is this backend: one process owns the data directory, so spans_stage (sql/0055_spans_stage.sql) is
        its own. Other lanes are connections of their own to the same engine, which run queries while this one does,
        each with spans_stage and context_repair_traces as temporary tables of its session (as on a server)."""
        if lane == 0:
            yield self
            return
        backend = self._lanes.get(lane)
        if backend is None:
            backend = EmbeddedBackend(self.path.parent)
            backend.execute(sql_files.query("create_session_stage"))
            backend.execute(sql_files.query("create_session_repair_traces"))
            self._lanes[lane] = backend
        yield backend

    def close(self) -> None:
        for backend in self._lanes.values():
            backend.close()
        with self._lock:
            self._session.close()


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _escape_params(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """chDB reads parameter values in escaped (TSV) form; clickhouse-connect escapes itself."""
    if not params:
        return None
    escaped: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, list | tuple):  # Array(String): read as a quoted literal, not TSV-unescaped
            value = "[" + ",".join(f"'{_quote(str(item))}'" for item in value) + "]"
        elif isinstance(value, str):
            value = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
        escaped[key] = value
    return escaped
