"""Store: migrations, price table, batch inserts and reads over one backend.

Every value reaches ClickHouse as a bound parameter; the only text spliced into SQL is a file path the
writer chose and the query names in sql/queries/.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from spanledger.settings import Settings
from store import prices, sql_files
from store.backend import Backend, StoreError
from store.migrate import migrate

log = logging.getLogger(__name__)

_READ_ONLY_START = re.compile(r"^\s*(select|with|show|describe|desc|explain|exists)\b", re.IGNORECASE)


class QueryRefused(StoreError):
    """A query the read-only query door does not run."""


class Store:
    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend = backend
        self.settings = settings

    def prepare(self) -> None:
        """Brings the schema up to date, applies retention and loads prices."""
        migrate(self.backend)
        days = int(self.settings.retention_days)  # validated int; DDL takes no parameters
        self.backend.execute(sql_files.query("set_retention").replace("{days}", str(days)))
        prices.load(self.backend, self.settings.price_file)

    def insert_protobuf_batch(self, query_name: str, path: Path, structure: str,
                              format_settings: dict[str, Any], params: dict[str, Any]) -> int:
        """Runs sql/queries/<query_name>.sql over a length-delimited Protobuf file; returns rows written (-1 if unknown)."""
        return self.backend.insert_file(sql_files.query(query_name), path, "Protobuf", structure, params, dict(format_settings))

    def select_protobuf_batch(self, query_name: str, path: Path, structure: str,
                              format_settings: dict[str, Any], params: dict[str, Any]) -> pa.Table:
        """Runs a SELECT over a length-delimited Protobuf file (embedded mode reads it in place)."""
        sql = sql_files.query(query_name)
        source = f"file('{_quote(str(path))}', 'Protobuf', '{_quote(structure)}')"
        return self.backend.query_arrow(sql.replace("{source}", source), params, dict(format_settings))

    def run(self, query_name: str, params: dict[str, Any] | None = None) -> None:
        """Runs the named statement (sql/queries/<query_name>.sql) for its effect."""
        self.backend.execute(sql_files.query(query_name), params)

    def frame(self, query_name: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        """A named query's result as a Polars frame."""
        return pl.from_arrow(self.backend.query_arrow(sql_files.query(query_name), params))  # type: ignore[return-value]

    def read_only_query(self, sql: str, max_rows: int | None = None) -> pa.Table:
        """Runs a user's read-only SQL: one SELECT-like statement, readonly enforced by the engine."""
        text = sql.strip().rstrip(";").strip()
        if not _READ_ONLY_START.match(text):
            raise QueryRefused("only SELECT, WITH, SHOW, DESCRIBE, EXPLAIN and EXISTS queries are allowed")
        if ";" in _strip_literals(text):
            raise QueryRefused("one statement per query")
        if re.search(r"\binto\s+outfile\b", _strip_literals(text), re.IGNORECASE):
            raise QueryRefused("INTO OUTFILE is not allowed")
        limit = max_rows or self.settings.query_max_rows
        settings = {
            "readonly": 2,
            "max_execution_time": self.settings.query_max_seconds,
            "max_result_rows": limit,
            "result_overflow_mode": "break",
        }
        return self.backend.query_arrow(text, None, settings)

    def close(self) -> None:
        self.backend.close()


def open_store(settings: Settings, prepare: bool = True) -> Store:
    """Opens the backend the settings name and, by default, prepares the schema."""
    backend: Backend
    if settings.embedded:
        from store.embedded import EmbeddedBackend

        backend = EmbeddedBackend(Path(settings.data_dir))
    else:
        from store.server import ServerBackend

        backend = ServerBackend(settings.clickhouse_url)
    store = Store(backend, settings)
    if prepare:
        store.prepare()
    return store


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _strip_literals(sql: str) -> str:
    """The SQL without quoted strings and comments, for the statement checks above."""
    sql = re.sub(r"'(?:[^'\\]|\\.)*'", "''", sql)
    sql = re.sub(r"--[^\n]*", "", sql)
    return re.sub(r"/\*.*?\*/", "", sql, flags=re.DOTALL)
