"""Server backend: a ClickHouse server, cluster or ClickHouse Cloud over HTTP via clickhouse-connect."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from store import sql_files
from store.backend import StoreError


class ServerBackend:
    def __init__(self, url: str, session_id: str | None = None) -> None:
        import clickhouse_connect  # only this backend needs it

        self._local = threading.local()
        self._url = url
        self._session_id = session_id
        self._connect = clickhouse_connect.get_client
        self._loads: dict[int, ServerBackend] = {}  # a session per load lane (staged)
        self._client()  # fail at start, not on the first span

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            try:
                client = self._connect(dsn=self._url, autogenerate_session_id=False, session_id=self._session_id)
            except Exception as exc:
                raise StoreError(f"cannot connect to ClickHouse at {_redact(self._url)}: {exc}") from exc
            self._local.client = client
        return client

    def execute(self, sql: str, params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> None:
        try:
            self._client().command(sql, parameters=params, settings=settings)
        except Exception as exc:
            raise StoreError(f"{exc} [in: {sql.strip().splitlines()[0][:120]}]") from exc

    def query_arrow(self, sql: str, params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> pa.Table:
        try:
            return self._client().query_arrow(sql, parameters=params, settings=settings)
        except Exception as exc:
            raise StoreError(f"{exc} [in: {sql.strip().splitlines()[0][:120]}]") from exc

    def insert_file(self, sql: str, path: Path, fmt: str, structure: str,
                    params: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> int:
        source = "input('" + structure.replace("'", "\\'") + "')"
        statement = sql.replace("{source}", source) + f" FORMAT {fmt}"
        try:
            # path may be a glob (a directory of spool files): the framed files concatenate into one stream.
            data = b"".join(part.read_bytes() for part in sorted(path.parent.glob(path.name)))
            summary = self._client().command(statement, parameters=params, data=data, settings=settings)
        except Exception as exc:
            raise StoreError(f"{exc} [in: insert from {path.name}]") from exc
        written = getattr(summary, "written_rows", None)
        return int(written) if written is not None else -1

    @contextmanager
    def staged(self, lane: int = 0) -> Iterator[ServerBackend]:
        """A backend in a ClickHouse session of its own per lane, holding spans_stage and context_repair_traces as
        temporary tables: lanes, and instances that share a server, stage their loads apart. The tables are made
        again if the session expired between loads."""
        loads = self._loads.get(lane)
        if loads is None:
            loads = self._loads[lane] = ServerBackend(self._url, session_id=f"spanledger-load-{uuid.uuid4()}")
        loads.execute(sql_files.query("create_session_stage"))
        loads.execute(sql_files.query("create_session_repair_traces"))
        yield loads

    def close(self) -> None:
        client = getattr(self._local, "client", None)
        if client is not None:
            client.close()
        for loads in self._loads.values():
            loads.close()


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
