"""Server backend: a ClickHouse server, cluster or ClickHouse Cloud over HTTP via clickhouse-connect."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pyarrow as pa

from store.backend import StoreError


class ServerBackend:
    stages_loads = False  # instances may share a server: each load goes straight into spans_load

    def __init__(self, url: str) -> None:
        import clickhouse_connect  # only this backend needs it

        self._local = threading.local()
        self._url = url
        self._connect = clickhouse_connect.get_client
        self._client()  # fail at start, not on the first span

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            try:
                client = self._connect(dsn=self._url, autogenerate_session_id=False)
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

    def close(self) -> None:
        client = getattr(self._local, "client", None)
        if client is not None:
            client.close()


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
