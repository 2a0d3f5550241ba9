"""Store: migrations, price table, batch inserts and reads over one backend.

Every value reaches ClickHouse as a bound parameter; the only text spliced into SQL is a file path the
writer chose and the query names in sql/queries/.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from spanledger.settings import Settings
from store import prices, read_only, sql_files
from store.backend import Backend, StoreError
from store.migrate import migrate
from store.read_only import QueryRefused  # noqa: F401  raised by read_only_query, imported from here by callers

log = logging.getLogger(__name__)



class Store:
    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend = backend
        self.settings = settings
        self.limits: dict[str, Any] | None = None
        self.priority: dict[str, Any] | None = None  # os_thread_priority of every statement (background())
        # Load lanes (backend.staged): each runs one load or context repair at a time; load_parallelism run at once.
        self._lanes: queue.SimpleQueue[int] = queue.SimpleQueue()
        for lane in range(settings.load_parallelism):
            self._lanes.put(lane)
        self._writing: dict[int, float] = {}  # lane -> time.monotonic() at which its load or repair began

    def limited(self) -> Store:
        """This store for the UI and API readers: each frame within query_max_seconds and query_max_rows, an
        error beyond (a silently cut result would show wrong figures). Shares the backend; close this one only."""
        readers = self._sibling()
        readers.limits = {"max_execution_time": self.settings.query_max_seconds, "max_result_rows": self.settings.query_max_rows,
                          "result_overflow_mode": "throw"}
        return readers

    def background(self, nice: int) -> Store:
        """This store for the scheduled jobs: each of their statements runs at OS priority nice (os_thread_priority), so
        that when the CPU is full the loads and the requests go first and the jobs' passes take longer instead."""
        jobs = self._sibling()
        jobs.priority = {"os_thread_priority": nice} if nice else None
        return jobs

    def _sibling(self) -> Store:
        """Another Store on the same backend and load lanes (close only this one)."""
        sibling = Store(self.backend, self.settings)
        sibling._lanes, sibling._writing = self._lanes, self._writing
        return sibling

    def prepare(self) -> None:
        """Brings the schema up to date, applies retention and loads prices."""
        migrate(self.backend)
        days = int(self.settings.retention_days)  # validated int; DDL takes no parameters
        self.backend.execute(sql_files.query("set_retention").replace("{days}", str(days)))
        prices.load(self.backend, self.settings.price_file)

    def load_otlp_batch(self, path: Path, structure: str, format_settings: dict[str, Any], params: dict[str, Any]) -> None:
        """Loads a length-delimited file (or glob) of OTLP requests into spans, in two statements: the parse into
        spans_stage (Memory; sql/queries/insert_otlp_spans.sql), then the move into spans, which joins each span
        with what the rest of its trace in the load names (sql/queries/move_staged_spans.sql). The parse reads the
        requests once; the join needs the parsed spans twice. On a free lane: while one load moves its spans
        (one core), another parses."""
        with self._lane() as backend:
            try:
                backend.insert_file(sql_files.query("insert_otlp_spans"), path, "Protobuf", structure, params, dict(format_settings))
                backend.execute(sql_files.query("move_staged_spans"), params)
            finally:
                backend.execute(sql_files.query("clear_staged_spans"))

    def repair_span_context(self, params: dict[str, Any]) -> None:
        """Gives spans stored with a fallback session the session their trace named since: the traces to rewrite go
        into context_repair_traces (sql/queries/repair_context_traces.sql), then their spans get a newer version
        (sql/queries/repair_span_context.sql); then, in traces of several agents, spans that name no agent get their nearest
        agent ancestor's (sql/queries/repair_span_agents.sql). In a load lane's session, whose temporary tables stand in for the
        Memory tables on a ClickHouse server. On a free load lane."""
        with self._lane() as backend:
            try:
                backend.execute(sql_files.query("repair_context_traces"), params)
                backend.execute(sql_files.query("repair_span_context"), params)
                backend.execute(sql_files.query("repair_span_agents"), {"max_spans": self.settings.context_repair_agent_max_spans})
            finally:
                backend.execute(sql_files.query("clear_repair_traces"))

    @contextmanager
    def _lane(self) -> Iterator[Backend]:
        """The backend of a free load lane, held until the block ends (waits while every lane is busy)."""
        lane = self._lanes.get()
        self._writing[lane] = time.monotonic()
        try:
            with self.backend.staged(lane) as backend:
                yield backend
        finally:
            del self._writing[lane]
            self._lanes.put(lane)

    def oldest_write_seconds(self) -> float:
        """How long ago the oldest load or context repair still running began; 0 when none runs. The spans it
        writes carry an ingested_at from no earlier than that, and become visible only when it ends: the jobs'
        watermark stays behind it (jobs/runner.py)."""
        began = list(self._writing.values())
        return time.monotonic() - min(began) if began else 0.0

    def run(self, query_name: str, params: dict[str, Any] | None = None) -> None:
        """Runs the named statement (sql/queries/<query_name>.sql) for its effect."""
        self.backend.execute(sql_files.query(query_name), params, self.priority)

    def frame(self, query_name: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        """A named query's result as a Polars frame."""
        try:
            return pl.from_arrow(self.backend.query_arrow(sql_files.query(query_name), params, self.limits or self.priority))  # type: ignore[return-value]
        except StoreError as exc:
            if self.limits is None:
                raise
            # chDB reports a limit hit inside an Arrow result as a truncated stream: say which limits apply.
            raise StoreError(f"{query_name}: {exc} (reads here stop at SPANLEDGER_QUERY_MAX_ROWS={self.settings.query_max_rows} "
                             f"rows and SPANLEDGER_QUERY_MAX_SECONDS={self.settings.query_max_seconds} s)") from exc

    def insert_frame(self, query_name: str, frame: pl.DataFrame) -> None:
        """Runs sql/queries/<query_name>.sql, an INSERT ... SELECT ... FROM {source}, over a Polars frame.

        The frame travels as an Arrow file (read in place by chDB, sent as the body to a server); its
        columns are declared Nullable so the query file decides how each one lands.
        """
        if frame.is_empty():
            return
        with tempfile.TemporaryDirectory(prefix="spanledger-frame-") as tmp:
            path = Path(tmp) / "frame.arrow"
            frame.write_ipc(path, compression="uncompressed", compat_level=pl.CompatLevel.oldest())
            self.backend.insert_file(sql_files.query(query_name), path, "Arrow", _arrow_structure(frame.schema), settings=self.priority)

    def read_only_query(self, sql: str, max_rows: int | None = None, tenant: str | None = None) -> pa.Table:
        """Runs a user's read-only SQL: one SELECT-like statement, readonly enforced by the engine, within the
        time and row limits; with a tenant, rows of other tenants are invisible (store/read_only.py)."""
        text = read_only.statement_text(sql)
        try:  # the text travels as a value: parsed here, never run
            formatted = self.backend.query_arrow(sql_files.query("read_only_statement"), {"sql": text}).column(0)[0].as_py()
        except StoreError as exc:
            raise QueryRefused(f"not one valid statement: {str(exc).split(' [in:')[0]}") from None
        read_only.check_formatted(formatted)
        limit = min(max_rows or self.settings.query_max_rows, self.settings.query_max_rows)
        settings = read_only.limit_settings(tenant, self.settings.query_max_seconds, limit)
        if read_only.needs_ast_check(text, tenant):
            ast = self.backend.query_arrow("EXPLAIN AST " + text)  # parses only; a SETTINGS here would be explained
            read_only.check_ast([str(line) for line in ast.column(0).to_pylist()] if ast.num_columns else [], tenant)
        return self.backend.query_arrow(text, None, settings).slice(0, limit)  # 'break' stops at a block boundary

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


def _clickhouse_type(dtype: Any) -> str:
    """The ClickHouse type an Arrow column written from this Polars type is read as."""
    if isinstance(dtype, pl.List):
        return f"Array({_clickhouse_type(dtype.inner)})"
    if isinstance(dtype, pl.Datetime):
        digits = {"ms": 3, "us": 6, "ns": 9}[dtype.time_unit or "us"]
        return f"Nullable(DateTime64({digits}, 'UTC'))"
    names = {pl.String: "String", pl.Boolean: "Bool", pl.Float64: "Float64", pl.Float32: "Float32",
             pl.Int8: "Int8", pl.Int16: "Int16", pl.Int32: "Int32", pl.Int64: "Int64", pl.UInt8: "UInt8",
             pl.UInt16: "UInt16", pl.UInt32: "UInt32", pl.UInt64: "UInt64", pl.Date: "Date32"}
    for polars_type, name in names.items():
        if dtype == polars_type:
            return f"Nullable({name})"
    raise StoreError(f"no ClickHouse type for a frame column of type {dtype}")


def _arrow_structure(schema: pl.Schema) -> str:
    return ", ".join(f"`{name}` {_clickhouse_type(dtype)}" for name, dtype in schema.items())
