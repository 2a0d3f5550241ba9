"""The batch writer: group commit of OTLP requests to an fsync'd spool, then bulk loads into the store.

Two stages, each on its own thread, so an acknowledgement costs a file write and an fsync, not a query:
1. Spooling: transports hand over checked request bytes and wait on a ticket. Every batch_max_delay_ms
   the waiting requests are framed into one spool file, fsync'd, and all their tickets resolve together:
   an acknowledged span is on disk and survives a crash (the spool is replayed at start).
2. Loading: every load_interval_ms the spooled files are inserted in one INSERT ... SELECT that lets
   ClickHouse parse and explode every span (sql/queries/insert_otlp_spans.sql); then they are deleted.
   A file whose insert failed stays and is retried; spans re-inserted after a crash collapse in the
   ReplacingMergeTree. Python never walks spans here.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest import otlp_format
from ingest.metrics import IngestMetrics
from ingest.validate import FUTURE_NS, PAST_NS

log = logging.getLogger(__name__)


class Backpressure(Exception):
    """The queue is full: the client should retry after retry_after seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"ingest queue is full, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class StoreUnavailable(Exception):
    """The request could not be made durable; the client should retry."""


@dataclass
class Ticket:
    size: int
    spans: int
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None
    _callbacks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_done(self, callback: Callable[[], None]) -> None:
        """Calls callback (from the spooling thread) once the ticket resolves, or now if it has."""
        with self._lock:
            if not self.done.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def resolve(self, error: Exception | None = None) -> None:
        with self._lock:
            self.error = error
            self.done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def wait(self, timeout: float | None = None) -> None:
        """Returns once the request is durable; raises StoreUnavailable otherwise."""
        if not self.done.wait(timeout):
            raise StoreUnavailable("timed out waiting for the spool")
        if self.error is not None:
            raise self.error


class BatchWriter:
    def __init__(self, store: Any, spool_dir: Path, *, batch_max_bytes: int, batch_max_delay_ms: int,
                 queue_max_bytes: int, fsync: bool, load_interval_ms: int = 1000,
                 metrics: IngestMetrics | None = None, clock: Callable[[], int] = time.time_ns) -> None:
        self.store = store
        self.ready_dir = spool_dir / "ready"
        self.loading_dir = spool_dir / "loading"
        self.batch_max_bytes = batch_max_bytes
        self.max_delay = batch_max_delay_ms / 1000
        self.load_interval = load_interval_ms / 1000
        self.queue_max_bytes = queue_max_bytes
        self.fsync = fsync
        self.metrics = metrics or IngestMetrics()
        self.clock = clock
        self._cond = threading.Condition()
        self._pending: dict[str, list[tuple[bytes, Ticket]]] = {}
        self._pending_bytes = 0
        self._spooled_bytes = 0  # in ready/ and loading/, not yet in the store
        self._first_at = 0.0
        self._spool_now = False
        self._stopping = False
        self._load_lock = threading.Lock()
        self._load_wake = threading.Event()
        self._sequence = itertools.count()
        self._threads: list[threading.Thread] = []
        self.ready_dir.mkdir(parents=True, exist_ok=True)
        self.loading_dir.mkdir(parents=True, exist_ok=True)

    # -- transports call these -------------------------------------------------------------------
    def submit(self, request: bytes, spans: int, tenant: str = "default") -> Ticket:
        """Queues one checked request of spans valid spans; raises Backpressure when the queue is full."""
        ticket = Ticket(len(request), spans)
        with self._cond:
            if self._stopping:
                raise StoreUnavailable("server is shutting down")
            queued = self._pending_bytes + self._spooled_bytes
            if queued and queued + len(request) > self.queue_max_bytes:
                self.metrics.backpressure += 1
                raise Backpressure(retry_after=max(1.0, 2 * self.load_interval))
            if not self._pending:
                self._first_at = time.monotonic()
            self._pending.setdefault(tenant, []).append((request, ticket))
            self._pending_bytes += len(request)
            self.metrics.queue_bytes = self._pending_bytes + self._spooled_bytes
            if self._pending_bytes >= self.batch_max_bytes or self._pending_bytes == len(request):
                self._cond.notify_all()
        return ticket

    def write(self, request: bytes, spans: int, tenant: str = "default", timeout: float = 60.0) -> None:
        """submit() and wait until the request is durable."""
        self.submit(request, spans, tenant).wait(timeout)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Loads whatever a previous process left in the spool, then starts both stages."""
        self.load_spool()
        for target, name in ((self._spool_loop, "spool-writer"), (self._load_loop, "span-loader")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def flush(self) -> None:
        """Spools everything submitted so far and loads it into the store before returning."""
        with self._cond:
            tickets = [ticket for batch in self._pending.values() for _, ticket in batch]
            self._spool_now = True
            self._cond.notify_all()
        for ticket in tickets:
            ticket.done.wait()
        self.load_spool()

    def stop(self) -> None:
        """Stops accepting, spools and loads what is queued, and ends both stages."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._load_wake.set()
        for thread in self._threads:
            thread.join()
        self.load_spool()

    # -- stage 1: spooling -------------------------------------------------------------------------
    def _spool_loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._pending:
                        waited = time.monotonic() - self._first_at
                        if (self._pending_bytes >= self.batch_max_bytes or waited >= self.max_delay
                                or self._spool_now or self._stopping):
                            break
                        self._cond.wait(self.max_delay - waited)
                    elif self._stopping:
                        return
                    else:
                        self._spool_now = False
                        self._cond.wait()
                batches, self._pending = self._pending, {}
                size, self._pending_bytes = self._pending_bytes, 0
                self._spool_now = False
                self._spooled_bytes += size
            for tenant, items in batches.items():
                self._spool_batch(tenant, items)
            if self._spooled_bytes >= self.batch_max_bytes * 4:
                self._load_wake.set()

    def _spool_batch(self, tenant: str, items: list[tuple[bytes, Ticket]]) -> None:
        started = time.monotonic()
        # The name carries the tenant and the span count (the store is never asked to count them).
        spans = sum(ticket.spans for _, ticket in items)
        name = f"{time.time_ns():020d}-{next(self._sequence):06d}.{_safe(tenant)}.{spans}.bin"
        partial = self.ready_dir / (name + ".part")
        size = sum(len(request) for request, _ in items)
        try:
            with partial.open("wb") as handle:
                for request, _ in items:
                    handle.write(otlp_format.frame_header(len(request)))
                    handle.write(request)
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
            partial.rename(self.ready_dir / name)  # only whole files are ever loaded
            if self.fsync:
                _fsync_dir(self.ready_dir)
        except OSError as exc:
            log.error("spool file %s not written: %s", name, exc)
            with self._cond:
                self._spooled_bytes -= size
            partial.unlink(missing_ok=True)
            for _, ticket in items:
                ticket.resolve(StoreUnavailable(f"spool write failed: {exc}"))
            return
        self.metrics.observe_spool(time.monotonic() - started, len(items), size)
        for _, ticket in items:
            ticket.resolve()

    # -- stage 2: loading --------------------------------------------------------------------------
    def _load_loop(self) -> None:
        started = time.monotonic()
        while not self._stopping:
            # One load per interval, counted from the start of the last one: a slow load is followed
            # by the next at once instead of a full interval of idling while the spool grows.
            self._load_wake.wait(max(self.load_interval - (time.monotonic() - started), 0))
            self._load_wake.clear()
            started = time.monotonic()
            try:
                self.load_spool()
            except Exception as exc:  # the files stay in the spool; the next round retries them
                log.error("loading spooled spans failed, will retry: %s", exc)

    def load_spool(self) -> int:
        """Inserts every spooled file into the store; returns the number of spans stored."""
        with self._load_lock:
            for path in sorted(self.ready_dir.glob("*.bin")):
                path.rename(self.loading_dir / path.name)
            files = sorted(self.loading_dir.glob("*.bin"))
            if not files:
                return 0
            stored = 0
            by_tenant: dict[str, list[Path]] = {}
            for path in files:
                by_tenant.setdefault(path.name.split(".")[1], []).append(path)
            started = time.monotonic()
            for tenant, paths in by_tenant.items():
                stored += self._load_files(tenant, paths)
            self.metrics.observe_load(time.monotonic() - started)
            return stored

    def _load_files(self, tenant: str, paths: list[Path]) -> int:
        size = sum(path.stat().st_size for path in paths)
        batch_dir = self.loading_dir / f"batch-{next(self._sequence):06d}.{tenant}"
        batch_dir.mkdir()
        for path in paths:
            path.rename(batch_dir / path.name)
        now = self.clock()
        # One day of slack beyond the acceptance window: the checks ran when the spans arrived.
        params = {"tenant": tenant, "min_time_ns": max(now - PAST_NS - FUTURE_NS, 1), "max_time_ns": now + 2 * FUTURE_NS}
        pattern = batch_dir / "*.bin"
        try:
            self.store.insert_protobuf_batch("insert_otlp_spans", pattern, otlp_format.STRUCTURE,
                                             otlp_format.FORMAT_SETTINGS, params)
        except Exception:
            for path in batch_dir.iterdir():
                path.rename(self.loading_dir / path.name)
            batch_dir.rmdir()
            self.metrics.failed_batches += 1
            raise
        shutil.rmtree(batch_dir)
        with self._cond:
            self._spooled_bytes = max(self._spooled_bytes - size, 0)
            self.metrics.queue_bytes = self._pending_bytes + self._spooled_bytes
        spans = sum(_spans_in(path) for path in paths)
        self.metrics.stored_spans += spans
        return spans


def _spans_in(path: Path) -> int:
    parts = path.name.split(".")
    return int(parts[2]) if len(parts) == 4 and parts[2].isdigit() else 0


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _safe(tenant: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in tenant) or "default"
