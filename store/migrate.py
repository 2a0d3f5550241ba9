"""Applies sql/NNNN_*.sql in order and records each applied version in schema_migrations; then sql/functions/*.sql,
which replace themselves, at every start."""

from __future__ import annotations

import logging

from store import sql_files
from store.backend import Backend, StoreError

log = logging.getLogger(__name__)


class MigrationError(StoreError):
    def __init__(self, version: str, cause: Exception) -> None:
        super().__init__(f"migration {version}.sql failed: {cause}")
        self.version = version


def applied_versions(backend: Backend) -> set[str]:
    table = backend.query_arrow(sql_files.query("applied_migrations"))
    return set(table.column("version").to_pylist()) if table.num_rows else set()


def migrate(backend: Backend) -> list[str]:
    """Applies every migration not yet recorded, then every function file; returns the versions applied now."""
    backend.execute(sql_files.query("create_schema_migrations"))
    done = applied_versions(backend)
    applied = []
    for version, text in sql_files.migrations():
        if version in done:
            continue
        try:
            for statement in sql_files.statements(text):
                backend.execute(statement)
        except StoreError as exc:
            raise MigrationError(version, exc) from exc
        backend.execute(sql_files.query("record_migration"), {"version": version})
        log.info("applied migration %s", version)
        applied.append(version)
    for name, text in sql_files.functions():
        try:
            for statement in sql_files.statements(text):
                backend.execute(statement)
        except StoreError as exc:
            raise MigrationError(f"functions/{name}", exc) from exc
    return applied
