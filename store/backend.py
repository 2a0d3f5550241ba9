"""The door to ClickHouse: one small interface, two implementations (embedded chDB, ClickHouse server).

Both speak the same ClickHouse SQL with server-side parameters ({name:Type}); nothing outside store/
sees which one runs.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa


class StoreError(Exception):
    """A statement the engine refused, with the statement's name or first line for context."""


class Backend(Protocol):
    def execute(self, sql: str, params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> None:
        """Runs a statement that returns nothing."""

    def query_arrow(self, sql: str, params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> pa.Table:
        """Runs a query and returns its result as an Arrow table."""

    def insert_file(self, sql: str, path: Path, fmt: str, structure: str,
                    params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> int:
        """Runs an INSERT ... SELECT whose {source} reads the file at path; returns rows written when known."""

    def staged(self, lane: int = 0) -> AbstractContextManager[Backend]:
        """The backend load lane `lane` runs on, where spans_stage and context_repair_traces are its own
        (store/store.py, load_otlp_batch): lanes run at once, each on a connection or session of its own."""

    def close(self) -> None:
        """Releases the engine; further calls fail."""
