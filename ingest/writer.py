"""The batch writer: group commit of OTLP requests to an fsync'd spool, then bulk loads into the store.

Two stages, each on its own thread, so an acknowledgement costs a file write and an fsync, not a query:
1. Spooling: transports hand over checked request bytes and wait on a ticket. Every batch_max_delay_ms
   the waiting requests are framed into one spool file (ingest/spool.py), fsync'd, and all their tickets
   resolve together: an acknowledged span is on disk and survives a crash (the spool is replayed at start).
2. Loading: the spooled files go into the store, oldest first, in loads of at most load_max_bytes
   (ingest/loader.py), then leave the spool. A refused load is never dropped. Up to load_parallelism loads
   run at once, each on a pool thread and a store lane of its own, so one parses while another moves
   its spans into the table (each takes files no other holds). A load starts at most every
   load_interval_ms while load_min_bytes or more wait, else once the oldest spooled request has waited
   load_max_wait_ms: each load has a fixed cost (about 0.25 s of query planning), which a trickle of spans
   should not pay every second.
Bytes accepted but not yet stored (memory and spool) are bounded by queue_max_bytes: beyond it clients
get Backpressure, a retryable answer, so a slow or absent store costs disk up to that bound, not memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.loader import SpoolLoader, StoreUnavailable
from ingest.metrics import IngestMetrics
from ingest.redaction import Redaction
from ingest.spool import Spool

log = logging.getLogger(__name__)

STOP_LOAD_SECONDS = 4.0  # at shutdown, loading stops after this long; the rest is loaded at the next start


class Backpressure(Exception):
    """The queue is full: the client should retry after retry_after seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"ingest queue is full, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


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
    def __init__(self, store: Any, spool_dir: Path, *, batch_max_bytes: int, batch_max_delay_ms: int, load_max_bytes: int,
                 queue_max_bytes: int, fsync: bool, load_interval_ms: int = 1000, load_min_bytes: int = 0,
                 load_max_wait_ms: int = 1000, load_parallelism: int = 1, max_attribute_bytes: int = 1 << 20,
                 max_attributes_per_span: int = 2048, max_spans_per_request: int = 100_000,
                 redaction: Redaction | None = None, metrics: IngestMetrics | None = None) -> None:
        self.store = store
        self.spool = Spool(spool_dir, fsync)
        self.batch_max_bytes = batch_max_bytes
        self.max_delay = batch_max_delay_ms / 1000
        self.load_interval = load_interval_ms / 1000
        self.load_min_bytes = load_min_bytes
        self.load_max_wait = max(load_max_wait_ms, load_interval_ms) / 1000
        self.queue_max_bytes = queue_max_bytes
        self.max_spans_per_request = max_spans_per_request  # checked by the transports before a request is accepted
        self.metrics = metrics or IngestMetrics()
        self.metrics.queue_max_bytes = queue_max_bytes
        self.loader = SpoolLoader(store, self.spool, self.metrics, load_max_bytes=load_max_bytes,
                                  max_attribute_bytes=max_attribute_bytes, max_attributes_per_span=max_attributes_per_span,
                                  redaction=redaction or Redaction(),
                                  on_removed=self._removed)
        self._cond = threading.Condition()
        self._pending: dict[str, list[tuple[bytes, Ticket]]] = {}
        self._pending_bytes = 0
        self._spooled_bytes = 0  # in ready/ and loading/, not yet in the store
        self._spooled_files = 0
        self._spooled_since: float | None = None  # when the spool last went from empty to holding files
        self._first_at = 0.0
        self._spool_now = False
        self._stopping = False
        self._final_deadline: float | None = None
        self.load_parallelism = load_parallelism
        self._load_lock = threading.Lock()
        self._load_wake = threading.Event()
        self._rounds = threading.Condition()  # counts the loads running on the pool, and holds them off for flushes
        self._running = 0
        self._held = 0
        self._pool = ThreadPoolExecutor(max_workers=load_parallelism, thread_name_prefix="span-load")
        self._spooler: threading.Thread | None = None
        self._loader: threading.Thread | None = None

    # -- transports call these -------------------------------------------------------------------
    def check_room(self, size: int) -> None:
        """Raises Backpressure when a request of size bytes would not fit; cheap, before any parsing."""
        with self._cond:
            self._check_room(size)

    def submit(self, request: bytes, spans: int, tenant: str = "default") -> Ticket:
        """Queues one checked request of spans valid spans; raises Backpressure when the queue is full."""
        ticket = Ticket(len(request), spans)
        with self._cond:
            if self._stopping:
                raise StoreUnavailable("server is shutting down")
            self._check_room(len(request))
            if not self._pending:
                self._first_at = time.monotonic()
            self._pending.setdefault(tenant, []).append((request, ticket))
            self._pending_bytes += len(request)
            self._update_gauges()
            if self._pending_bytes >= self.batch_max_bytes or self._pending_bytes == len(request):
                self._cond.notify_all()
        return ticket

    def write(self, request: bytes, spans: int, tenant: str = "default", timeout: float = 60.0) -> None:
        """submit() and wait until the request is durable."""
        self.submit(request, spans, tenant).wait(timeout)

    def _check_room(self, size: int) -> None:
        queued = self._pending_bytes + self._spooled_bytes
        if queued and queued + size > self.queue_max_bytes:
            self.metrics.add(backpressure=1)
            raise Backpressure(retry_after=max(1.0, 2 * self.load_interval))

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Takes over what a previous process left in the spool (loaded first, in order) and starts both stages."""
        files, size = self.spool.recover()
        with self._cond:
            self._spooled_files, self._spooled_bytes = files, size
            self._spooled_since = time.monotonic() - self.load_max_wait if files else None  # due at once
            self._update_gauges()
        if files:
            log.info("loading %d spool files (%d bytes) left by the previous run", files, size)
            self._load_wake.set()
        self._spooler = threading.Thread(target=self._spool_loop, name="spool-writer", daemon=True)
        self._loader = threading.Thread(target=self._load_loop, name="span-loader", daemon=True)
        self._spooler.start()
        self._loader.start()

    def flush(self) -> None:
        """Spools everything submitted so far and loads it into the store before returning."""
        with self._cond:
            tickets = [ticket for batch in self._pending.values() for _, ticket in batch]
            self._spool_now = True
            self._cond.notify_all()
        for ticket in tickets:
            ticket.done.wait()
        self.load_spool()

    def stop(self, load_seconds: float = STOP_LOAD_SECONDS) -> None:
        """Stops accepting, spools what is queued, loads for at most load_seconds and ends both stages.

        Whatever is not loaded by then stays in the spool, durable, and is loaded at the next start.
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._spooler is not None:
            self._spooler.join()
        self._final_deadline = time.monotonic() + load_seconds
        if self._loader is not None:
            self._load_wake.set()
            self._loader.join()
        else:
            self._load_round(self.load_spool)

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
                below_min = self._spooled_bytes < self.load_min_bytes
                self._spooled_bytes += size  # counted before the write, so the queue never looks emptier
            for tenant, items in batches.items():
                self._spool_batch(tenant, items)
            if below_min and self._spooled_bytes >= self.load_min_bytes or self._spooled_bytes >= self.loader.load_max_bytes:
                self._load_wake.set()  # the load loop may be waiting out load_max_wait or the interval: a load is due sooner

    def _spool_batch(self, tenant: str, items: list[tuple[bytes, Ticket]]) -> None:
        started = time.monotonic()
        size = sum(len(request) for request, _ in items)
        try:
            on_disk = self.spool.write(tenant, [request for request, _ in items], sum(ticket.spans for _, ticket in items))
        except Exception as exc:  # disk full, permissions: these clients retry, nothing was acknowledged
            log.error("spool file for %d requests of tenant %s not written: %s", len(items), tenant, exc)
            with self._cond:
                self._spooled_bytes -= size
                self._update_gauges()
            for _, ticket in items:
                ticket.resolve(StoreUnavailable(f"spool write failed: {exc}"))
            return
        with self._cond:
            self._spooled_bytes += on_disk - size  # the frame headers
            if self._spooled_files == 0:
                self._spooled_since = time.monotonic()
            self._spooled_files += 1
            self._update_gauges()
        self.metrics.observe_spool(time.monotonic() - started, len(items), size)
        self.metrics.add(accepted_spans=sum(ticket.spans for _, ticket in items))
        for _, ticket in items:
            ticket.resolve()

    # -- stage 2: loading --------------------------------------------------------------------------
    def _load_loop(self) -> None:
        """Starts a load on the pool whenever one is due and fewer than load_parallelism run: with a backlog, the
        next load parses while the last one moves its spans into the table."""
        started = time.monotonic()
        while True:
            if self._final_deadline is not None:
                self._wait_rounds()
                self._load_round(self.load_spool)
                self._pool.shutdown()
                return
            wait = self._seconds_until_due(started)
            if wait <= 0 and not self._lane_free():
                wait = self.load_interval  # a load that ends wakes the loop
            if wait > 0:
                self._load_wake.wait(wait)
                self._load_wake.clear()
                continue
            started = time.monotonic()
            with self._rounds:
                self._running += 1
            self._pool.submit(self._pool_round)

    def _pool_round(self) -> None:
        try:
            self._load_round(self.loader.load_one)
        finally:
            with self._rounds:
                self._running -= 1
                self._rounds.notify_all()
            self._load_wake.set()

    def _lane_free(self) -> bool:
        with self._rounds:
            return self._running < self.load_parallelism and not self._held

    def _wait_rounds(self) -> None:
        with self._rounds:
            while self._running:
                self._rounds.wait()

    def _seconds_until_due(self, last_start: float) -> float:
        """How long until the next load is due. Loads are spaced load_interval from the start of the last one,
        so a slow load is followed by the next at once instead of a full interval of idling while the spool
        grows; below load_min_bytes a load also waits until the oldest spooled request is load_max_wait old. A
        full load's worth (load_max_bytes) that no load has taken is due at once: the spacing would otherwise cap
        the store at load_max_bytes per interval."""
        now = time.monotonic()
        spacing = self.load_interval - (now - last_start)
        with self._cond:
            size, since = self._spooled_bytes, self._spooled_since
        if since is None:  # nothing spooled: look again later (load_min_bytes spooled wakes the loop sooner)
            return max(spacing, self.load_max_wait)
        if size - self.loader.claimed_bytes() >= self.loader.load_max_bytes:
            return 0
        if size >= self.load_min_bytes:
            return spacing
        return max(spacing, self.load_max_wait - (now - since))

    def _load_round(self, load: Callable[[], int]) -> None:
        try:
            load()
        except StoreUnavailable as exc:  # the files stay in the spool; the next round retries them
            log.warning("%s; spooled spans wait", exc)
        except Exception:
            log.exception("loading spooled spans failed, will retry")

    def load_spool(self) -> int:
        """Loads the spooled files, oldest first; returns spans stored. Raises StoreUnavailable when the
        store does not answer (the files stay). Stops early once a shutdown deadline has passed. No load starts
        on the pool meanwhile, and those running are waited for: every file spooled before the call is stored."""
        with self._load_lock:
            with self._rounds:
                self._held += 1
            try:
                self._wait_rounds()
                return self.loader.load(lambda: self._final_deadline)
            finally:
                with self._rounds:
                    self._held -= 1
                self._load_wake.set()

    def _removed(self, files: int, size: int) -> None:
        """Spool files left the spool (stored or dead-lettered)."""
        with self._cond:
            self._spooled_bytes = max(self._spooled_bytes - size, 0)
            self._spooled_files = max(self._spooled_files - files, 0)
            if self._spooled_files == 0:
                self._spooled_since = None
            self._update_gauges()

    def _update_gauges(self) -> None:
        """Under self._cond."""
        self.metrics.queue_bytes = self._pending_bytes + self._spooled_bytes
        self.metrics.spool_bytes = self._spooled_bytes
        self.metrics.spool_files = self._spooled_files
