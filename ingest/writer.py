"""The batch writer: group commit of OTLP requests into the store.

Transports hand it serialized ExportTraceServiceRequest bytes and wait on the returned ticket. A flusher
thread frames the waiting requests into one batch file, fsyncs it, and runs one INSERT that parses and
explodes every span in ClickHouse; all tickets of the batch then resolve together. Python never walks
spans. A ticket resolves only after the store has the spans, so an acknowledgement means stored.
Batch files left behind by a crash are inserted again at start; the spans table collapses repeats.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest import otlp_format
from ingest.metrics import IngestMetrics

log = logging.getLogger(__name__)

_FUTURE_NS = 24 * 3600 * 10**9  # spans may start at most a day in the future
_PAST_NS = 10 * 365 * 24 * 3600 * 10**9  # and at most ten years in the past


class Backpressure(Exception):
    """The queue is full: the client should retry after retry_after seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"ingest queue is full, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class StoreUnavailable(Exception):
    """The batch could not be stored; the client should retry."""


@dataclass
class Outcome:
    rejected_spans: int = 0
    error_message: str = ""


@dataclass
class Ticket:
    size: int
    spans: int
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None
    error: Exception | None = None
    _callbacks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_done(self, callback: Callable[[], None]) -> None:
        """Calls callback (from the flusher thread) once the ticket resolves, or now if it has."""
        with self._lock:
            if not self.done.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def resolve(self, outcome: Outcome | None = None, error: Exception | None = None) -> None:
        with self._lock:
            self.outcome, self.error = outcome, error
            self.done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def wait(self, timeout: float | None = None) -> Outcome:
        if not self.done.wait(timeout):
            raise StoreUnavailable("timed out waiting for the store")
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


class BatchWriter:
    def __init__(self, store: Any, spool_dir: Path, *, batch_max_bytes: int, batch_max_delay_ms: int,
                 queue_max_bytes: int, fsync: bool, metrics: IngestMetrics | None = None,
                 clock: Callable[[], int] = time.time_ns) -> None:
        self.store = store
        self.spool_dir = spool_dir
        self.batch_max_bytes = batch_max_bytes
        self.max_delay = batch_max_delay_ms / 1000
        self.queue_max_bytes = queue_max_bytes
        self.fsync = fsync
        self.metrics = metrics or IngestMetrics()
        self.clock = clock
        self._cond = threading.Condition()
        self._pending: dict[str, list[tuple[bytes, Ticket]]] = {}
        self._pending_bytes = 0
        self._first_at = 0.0
        self._flush_requested = False
        self._stopping = False
        self._sequence = itertools.count()
        self._thread: threading.Thread | None = None
        spool_dir.mkdir(parents=True, exist_ok=True)

    # -- transports call these -------------------------------------------------------------------
    def submit(self, request: bytes, spans: int, tenant: str = "default") -> Ticket:
        """Queues one serialized request carrying spans spans; raises Backpressure when the queue is full."""
        ticket = Ticket(len(request), spans)
        with self._cond:
            if self._stopping:
                raise StoreUnavailable("server is shutting down")
            if self._pending_bytes + len(request) > self.queue_max_bytes and self._pending_bytes:
                self.metrics.backpressure += 1
                raise Backpressure(retry_after=max(1.0, self.max_delay * 4))
            if not self._pending:
                self._first_at = time.monotonic()
            self._pending.setdefault(tenant, []).append((request, ticket))
            self._pending_bytes += len(request)
            self.metrics.queue_bytes = self._pending_bytes
            if self._pending_bytes >= self.batch_max_bytes:
                self._cond.notify_all()
            elif len(self._pending) == 1 and len(self._pending[tenant]) == 1:
                self._cond.notify_all()
        return ticket

    def write(self, request: bytes, spans: int, tenant: str = "default", timeout: float = 60.0) -> Outcome:
        """submit() and wait: returns once the spans are stored."""
        return self.submit(request, spans, tenant).wait(timeout)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.replay_spool()
        self._thread = threading.Thread(target=self._run, name="batch-writer", daemon=True)
        self._thread.start()

    def flush(self) -> None:
        """Stores everything submitted so far before returning."""
        with self._cond:
            tickets = [ticket for batch in self._pending.values() for _, ticket in batch]
            self._flush_requested = True
            self._cond.notify_all()
        for ticket in tickets:
            ticket.done.wait()

    def stop(self) -> None:
        """Stops accepting, stores what is queued, and ends the flusher."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    def replay_spool(self) -> int:
        """Inserts batch files a previous process left behind (acknowledged or not, they are stored now)."""
        replayed = 0
        for path in sorted(self.spool_dir.glob("batch-*.bin")):
            tenant = path.name.split(".")[-2] if path.name.count(".") >= 2 else "default"
            log.info("replaying spool file %s", path.name)
            self._insert(path, tenant, f"replay-{path.stem}", expected=-1)
            path.unlink()
            replayed += 1
        return replayed

    # -- the flusher -----------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._pending:
                        waited = time.monotonic() - self._first_at
                        if (self._pending_bytes >= self.batch_max_bytes or waited >= self.max_delay
                                or self._flush_requested or self._stopping):
                            break
                        self._cond.wait(self.max_delay - waited)
                    elif self._stopping:
                        return
                    else:
                        self._flush_requested = False
                        self._cond.wait()
                batches, self._pending = self._pending, {}
                self._pending_bytes = 0
                self._flush_requested = False
                self.metrics.queue_bytes = 0
            for tenant, items in batches.items():
                self._flush_batch(tenant, items)

    def _flush_batch(self, tenant: str, items: list[tuple[bytes, Ticket]]) -> None:
        started = time.monotonic()
        batch_id = uuid.uuid4().hex
        path = self.spool_dir / f"batch-{time.time_ns():020d}-{next(self._sequence):06d}.{_safe(tenant)}.bin"
        try:
            with path.open("wb") as handle:
                for request, _ in items:
                    handle.write(otlp_format.frame_header(len(request)))
                    handle.write(request)
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
            rejections = self._insert(path, tenant, batch_id, sum(ticket.spans for _, ticket in items))
        except Exception as exc:  # the store refused the batch: every waiting client retries
            log.error("batch %s of %d requests not stored: %s", batch_id, len(items), exc)
            self.metrics.failed_batches += 1
            for _, ticket in items:
                ticket.resolve(error=StoreUnavailable(f"store unavailable: {exc}"))
            path.unlink(missing_ok=True)
            return
        path.unlink(missing_ok=True)
        self.metrics.observe_flush(time.monotonic() - started, len(items), sum(len(r) for r, _ in items))
        for index, (_, ticket) in enumerate(items):
            rejected, message = rejections.get(index, (0, ""))
            ticket.resolve(Outcome(rejected, message))

    def _insert(self, path: Path, tenant: str, batch_id: str, expected: int) -> dict[int, tuple[int, str]]:
        """Inserts a batch file; returns {request index: (rejected spans, first reason)}."""
        now = self.clock()
        params = {"tenant": tenant, "batch_id": batch_id,
                  "min_time_ns": max(now - _PAST_NS, 1), "max_time_ns": now + _FUTURE_NS}
        args = (path, otlp_format.STRUCTURE, otlp_format.FORMAT_SETTINGS, params)
        written = self.store.insert_protobuf_batch("insert_otlp_spans", *args)
        self.store.insert_protobuf_batch("insert_trace_context", *args)
        if written >= 0:
            self.metrics.stored_spans += written
        if expected < 0 or written < 0 or written >= expected:
            return {}
        # Fewer rows than spans: find out which were rejected and why (the slow path, bad input only).
        self.store.insert_protobuf_batch("insert_otlp_rejections", *args)
        rejections = {}
        for row in self.store.frame("batch_rejections", {"batch_id": batch_id}).iter_rows(named=True):
            rejections[int(row["request"])] = (int(row["rejected"]), str(row["example"]))
        self.metrics.rejected_spans += sum(count for count, _ in rejections.values())
        return rejections


def _safe(tenant: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in tenant) or "default"
