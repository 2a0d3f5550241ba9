"""Wires one spanledger process: store, batch writer, OTLP/gRPC, OTLP/HTTP + API, dashboard UI, demo fleet.

Started in that order and stopped in reverse. Nothing else in the code starts threads or servers.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from alerts.engine import AlertEngine
from alerts.loop import DeliveryLoop
from dashboards.components import Endpoints
from dashboards.model_rollup import ModelRollupLoop
from dashboards.server import UiServer, start_ui
from ingest.grpc_server import start_grpc_server
from ingest.http_routes import otlp_router
from ingest.loader import check_redaction
from ingest.metrics import IngestMetrics
from ingest.redaction import Redaction, pseudonym_key
from ingest.writer import BatchWriter
from jobs.context_repair import ContextRepairLoop, repair_span_context
from jobs.runner import JobRunner
from jobs.scheduler import JobScheduler
from spanledger.access import Directory
from spanledger.api import api_router
from spanledger.api_access import access_router, caller_of, install_access_errors
from spanledger.api_alerts import alerts_router
from spanledger.api_jobs import jobs_router
from spanledger.exposure import check_exposure, tls_pair
from spanledger.settings import Settings
from store import Store, open_store

log = logging.getLogger(__name__)


@dataclass
class Service:
    settings: Settings
    store: Store | None = None
    writer: BatchWriter | None = None
    grpc_port: int = 0
    http_port: int = 0
    ready: dict[str, bool] = field(default_factory=lambda: {"ready": False})
    _grpc: Any = None
    _http: uvicorn.Server | None = None
    _http_thread: threading.Thread | None = None
    _demo: Any = None
    _repair: Any = None
    jobs: JobRunner | None = None
    _scheduler: JobScheduler | None = None
    ui_port: int = 0
    _ui: UiServer | None = None
    _model_rollups: ModelRollupLoop | None = None
    directory: Directory | None = None
    alerts: AlertEngine | None = None
    _alert_delivery: DeliveryLoop | None = None

    def start(self) -> None:
        settings = self.settings
        check_exposure(settings)
        tls = tls_pair(settings)
        self.store = open_store(settings)
        directory = self.directory = Directory(
            self.store, required=settings.auth_required, cache_seconds=settings.auth_cache_seconds,
            proxy_header=settings.auth_proxy_header, proxy_trusted=settings.auth_proxy_trusted)
        directory.start()

        def tenant_of(headers: Any) -> str:
            return directory.principal(headers).tenant

        caller = caller_of(directory)
        metrics = IngestMetrics()
        redaction = _redaction(settings)
        check_redaction(self.store, redaction)
        self.writer = BatchWriter(
            self.store, Path(settings.data_dir) / "spool",
            batch_max_bytes=settings.batch_max_bytes, batch_max_delay_ms=settings.batch_max_delay_ms,
            load_max_bytes=settings.load_max_bytes,
            queue_max_bytes=settings.queue_max_bytes, fsync=settings.fsync,
            load_interval_ms=settings.load_interval_ms, load_min_bytes=settings.load_min_bytes,
            load_max_wait_ms=settings.load_max_wait_ms, load_parallelism=settings.load_parallelism,
            max_attribute_bytes=settings.max_attribute_bytes,
            max_attributes_per_span=settings.max_attributes_per_span, max_spans_per_request=settings.max_spans_per_request,
            redaction=redaction, metrics=metrics)
        self.writer.start()
        self._repair = ContextRepairLoop(self.store, settings.context_repair_seconds,
                                         dt.timedelta(hours=settings.context_repair_window_hours))
        self._repair.start()
        self.jobs = JobRunner(self.store.background(settings.jobs_nice), settings)
        # Alert rules are validated here (a bad rules file stops the start); they are evaluated after each
        # rollup pass and delivered by their own loop, in the process that runs the jobs.
        self.alerts = AlertEngine(self.store, settings)
        if settings.jobs_enabled:
            self._scheduler = JobScheduler(self.jobs, settings, after_pass=self.alerts.cycle, after_weekly=self.alerts.send_weekly_review)
            self._scheduler.start()
            self._alert_delivery = DeliveryLoop(self.alerts, settings.alerts_delivery_interval_seconds)
            self._alert_delivery.start()
        self._grpc, self.grpc_port = start_grpc_server(self.writer, settings.host, settings.grpc_port, settings.max_request_bytes,
                                                       tenant_of=tenant_of, tls=tls)
        app = FastAPI(title="spanledger", version="0.1.0")
        app.include_router(otlp_router(self.writer, settings.max_request_bytes, tenant_of))
        app.include_router(api_router(self.store, metrics, self.ready, caller))
        app.include_router(jobs_router(self.jobs, caller, JobRunner(self.store.limited(), settings)))
        app.include_router(access_router(directory, caller))
        install_access_errors(app)
        app.include_router(alerts_router(self.store.limited(), settings, caller))
        config = uvicorn.Config(app, host=settings.host, port=settings.http_port, log_level="warning",
                                access_log=False, lifespan="off", timeout_graceful_shutdown=2,
                                ssl_certfile=settings.tls_cert_file, ssl_keyfile=settings.tls_key_file)
        self._http = uvicorn.Server(config)
        self._http_thread = threading.Thread(target=self._http.run, name="http", daemon=True)
        self._http_thread.start()
        while not self._http.started:
            if not self._http_thread.is_alive():
                raise OSError(f"cannot start the HTTP server on {settings.host}:{settings.http_port}")
            time.sleep(0.02)
        self.http_port = self._http.servers[0].sockets[0].getsockname()[1]
        client, scheme = _client_host(settings.host), "https" if tls else "http"
        self._ui = start_ui(self.store.limited(), settings, Endpoints(f"{client}:{self.grpc_port}", f"{scheme}://{client}:{self.http_port}/v1/traces"),
                            directory)
        self.ui_port = self._ui.port
        # The cost page's per-model rollups follow the rollup passes of whichever process runs the jobs.
        self._model_rollups = ModelRollupLoop(self.store, settings.jobs_interval_seconds, settings.jobs_backfill_chunk_hours)
        self._model_rollups.start()
        if settings.demo:
            from spanledger.demo import DemoFleet

            self._demo = DemoFleet(f"{scheme}://{client}:{self.grpc_port}", settings.demo_sessions_per_second,
                                   exporter_options=_demo_exporter_options(directory, tls))
            self._demo.start()
        self.ready["ready"] = True

    def flush(self) -> None:
        """Stores everything received so far and applies late trace context to it (tests, shutdown)."""
        assert self.writer is not None and self.store is not None
        self.writer.flush()
        window = dt.timedelta(hours=self.settings.context_repair_window_hours)
        repair_span_context(self.store, dt.datetime.now(dt.UTC) - window, window)

    def describe(self) -> str:
        host = _client_host(self.settings.host)
        scheme = "https" if self.settings.tls else "http"
        store = f"embedded chDB in {Path(self.settings.data_dir).resolve()}" if self.settings.embedded else "ClickHouse server"
        lines = [
            f"spanledger {store}",
            f"  OTLP/gRPC  {host}:{self.grpc_port}",
            f"  OTLP/HTTP  {scheme}://{host}:{self.http_port}/v1/traces",
            f"  API        {scheme}://{host}:{self.http_port}/api/query  /metrics  /healthz  /readyz",
            f"  UI         {scheme}://{host}:{self.ui_port}/",
        ]
        if self._demo is not None:
            lines.append("  demo fleet exporting to OTLP/gRPC")
        return "\n".join(lines)

    def stop(self) -> None:
        self.ready["ready"] = False
        if self._demo is not None:
            self._demo.stop()
        if self._ui is not None:
            self._ui.stop()
        if self._model_rollups is not None:
            self._model_rollups.stop()
        # Both transports stop accepting at once and get 2 s for requests in flight; the writer then spools
        # what is queued and loads for at most 4 s (the rest is loaded at the next start): exit within 10 s.
        if self._http is not None:
            self._http.should_exit = True
        if self._grpc is not None:
            self._grpc.stop(grace=2).wait()
        if self._http_thread is not None:
            self._http_thread.join(timeout=3)
        if self.writer is not None:
            self.writer.stop()
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._alert_delivery is not None:
            self._alert_delivery.stop()
        if self._repair is not None:
            self._repair.stop()
        if self.directory is not None:
            self.directory.stop()
        if self.store is not None:
            self.store.close()


def _redaction(settings: Settings) -> Redaction:
    return Redaction(detectors=tuple(settings.redact_detectors), patterns=tuple(settings.redact_patterns),
                     keep=tuple(settings.redact_keep_attributes), drop=tuple(settings.redact_drop_attributes),
                     salt=settings.redact_salt or pseudonym_key(Path(settings.data_dir) / "redaction.key"))


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "localhost") else host


def _demo_exporter_options(directory: Directory, tls: tuple[bytes, bytes] | None) -> dict[str, Any]:
    """When auth is required the demo fleet sends a key of this process (tenant 'default'); with TLS it trusts
    this server's certificate."""
    import grpc

    options: dict[str, Any] = {}
    if directory.required:
        options["headers"] = {"authorization": f"Bearer {directory.process_key('default')}"}
    if tls is None:
        return {**options, "insecure": True}
    return {**options, "credentials": grpc.ssl_channel_credentials(root_certificates=tls[1])}
