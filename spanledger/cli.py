"""The spanledger command: serve, query."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click
import httpx

from spanledger.settings import SettingsError, load_settings
from spanledger.tables import arrow_rows, render


@click.group()
def main() -> None:
    """spanledger: trace and cost observability for AI agents."""


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False), help="Embedded store directory (SPANLEDGER_DATA_DIR).")
@click.option("--host", help="Bind address (SPANLEDGER_HOST, default 127.0.0.1).")
@click.option("--grpc-port", type=int, help="OTLP/gRPC port (default 4317).")
@click.option("--http-port", type=int, help="OTLP/HTTP and API port (default 4318).")
@click.option("--ui-port", type=int, help="Dashboard port (default 8050).")
@click.option("--demo", is_flag=True, default=None, help="Also run the synthetic agent fleet.")
def serve(**flags: object) -> None:
    """Start the service and print what listens where."""
    from spanledger.service import Service

    try:
        settings = load_settings(**flags)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = Service(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        service.start()
    except Exception as exc:
        service.stop()
        raise click.ClickException(f"cannot start: {exc}") from None
    click.echo(service.describe(), err=False)
    sys.stdout.flush()
    stop.wait()
    click.echo("stopping: flushing queued spans", err=True)
    service.stop()


@main.command()
@click.argument("sql")
@click.option("--url", default="http://127.0.0.1:4318", show_default=True, help="A running server's HTTP address.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Open this store directly when no server answers at --url.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def query(sql: str, url: str, data_dir: str | None, fmt: str) -> None:
    """Run read-only SQL against the store."""
    from spanledger.jobs_client import bearer

    try:
        headers = bearer(load_settings().api_key)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        response = httpx.post(url.rstrip("/") + "/api/query", json={"sql": sql}, headers=headers, timeout=120)
    except httpx.ConnectError:
        response = None
    if response is not None:
        if response.status_code != 200:
            detail = response.json().get("detail", response.text) if response.headers.get("content-type", "").startswith("application/json") else response.text
            raise click.ClickException(str(detail))
        body = response.json()
        click.echo(render(body["columns"], body["rows"], fmt))
        return
    from store import StoreError, open_store
    from store.store import QueryRefused

    try:
        store = open_store(load_settings(data_dir=data_dir))
    except (SettingsError, StoreError) as exc:
        raise click.ClickException(f"no server at {url} and cannot open the store: {exc}") from None
    try:
        columns, rows = arrow_rows(store.read_only_query(sql))
    except (QueryRefused, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(render(columns, rows, fmt))


@main.command("settings")
def show_settings() -> None:
    """Print every setting as the README's Markdown table."""
    from spanledger.settings import settings_table

    click.echo(settings_table())


from spanledger import commands_access, commands_alerts, commands_jobs  # noqa: E402,F401  register keys, users; alerts; jobs, metrics, gate, report

if __name__ == "__main__":
    main()
