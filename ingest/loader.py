"""Stage 2 of the batch writer: loads spool files into the store, oldest first, and never drops one.

Each load is an INSERT ... SELECT over its spool files, joined into a few pieces (ingest/spool.py, batch;
sql/queries/insert_otlp_spans.sql), and a move into spans (store/store.py, load_otlp_batch), so ClickHouse parses
and explodes the spans; Python never walks them. When a load fails, an empty load tells whether the store answers
at all. If it does not, the files wait in order (the round stops). If it does, the chunk is loaded file by file,
and a file refused DEAD_LETTER_AFTER times in a row goes to dead-letter/ with the reason.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest import otlp_format
from ingest.metrics import IngestMetrics
from ingest.redaction import Redaction
from ingest.spool import Spool, chunks, spans_in

log = logging.getLogger(__name__)

DEAD_LETTER_AFTER = 3  # refusals in a row, with the store answering, before a spool file is set aside
_EMPTY_REQUEST = b"\x00"  # one framed, empty ExportTraceServiceRequest: the probe load


class StoreUnavailable(Exception):
    """The request could not be made durable, or the store does not answer; the client should retry."""


class SpoolLoader:
    def __init__(self, store: Any, spool: Spool, metrics: IngestMetrics, *, load_max_bytes: int,
                 max_attribute_bytes: int, max_attributes_per_span: int, redaction: Redaction, on_removed: Callable[[int, int], None]) -> None:
        self.store = store
        self.spool = spool
        self.metrics = metrics
        self.load_max_bytes = load_max_bytes
        self.max_attribute_bytes = max_attribute_bytes
        self.max_attributes_per_span = max_attributes_per_span
        self.redaction_params = redaction.params()
        self.on_removed = on_removed  # (files, bytes) that left the spool
        self._strikes: dict[str, int] = {}  # spool file name -> refusals in a row
        self._claim_lock = threading.Lock()
        self._claimed: dict[str, int] = {}  # name -> size of the spool files a load has taken and not yet let go
        self._probe = spool.ready_dir.parent / "probe.bin"  # outside ready/ and loading/: never loaded as data
        self._probe.write_bytes(_EMPTY_REQUEST)

    def load(self, deadline: Callable[[], float | None] = lambda: None) -> int:
        """Loads every spooled file no other load has taken, oldest first; returns spans stored. Raises
        StoreUnavailable when the store does not answer (the files stay). Stops between loads once deadline() has passed."""
        stored = 0
        while (claimed := self._claim()) is not None:
            limit = deadline()
            if limit is not None and time.monotonic() > limit:
                self._release(claimed[1])
                log.warning("shutdown: leaving spooled spans for the next start")
                break
            stored += self._load_claimed(*claimed)
        return stored

    def load_one(self) -> int:
        """One load: the oldest spooled files no other load has taken, up to load_max_bytes of one tenant. Loads on
        other threads may run at the same time (store lanes); returns spans stored, raises like load()."""
        claimed = self._claim()
        return 0 if claimed is None else self._load_claimed(*claimed)

    def _claim(self) -> tuple[str, list[Path]] | None:
        with self._claim_lock:
            free = [path for path in self.spool.take() if path.name not in self._claimed]
            loads = chunks(free, self.load_max_bytes)
            if not loads:
                return None
            self._claimed.update((path.name, path.stat().st_size) for path in loads[0][1])
            return loads[0]

    def _release(self, paths: list[Path]) -> None:
        with self._claim_lock:
            for path in paths:
                self._claimed.pop(path.name, None)

    def claimed_bytes(self) -> int:
        """Spooled bytes that loads have taken and not yet stored or let go."""
        with self._claim_lock:
            return sum(self._claimed.values())

    def _load_claimed(self, tenant: str, paths: list[Path]) -> int:
        started = time.monotonic()
        try:
            stored = self._load_chunk(tenant, paths)
        finally:
            self._release(paths)
        if stored:
            self.metrics.observe_load(time.monotonic() - started)
        return stored

    def _load_chunk(self, tenant: str, paths: list[Path]) -> int:
        try:
            return self._insert(tenant, paths)
        except Exception as exc:
            self.metrics.add(failed_batches=1)
            refusal = exc
        if not self._store_answers(tenant):
            self.metrics.store_up = 0
            raise StoreUnavailable(f"the store does not answer: {refusal}")
        self.metrics.store_up = 1
        if len(paths) > 1:  # find the file(s) it refuses; the others go in
            return sum(self._load_chunk(tenant, [path]) for path in paths)
        self._refused(paths[0], refusal)
        return 0

    def _insert(self, tenant: str, paths: list[Path]) -> int:
        size = sum(path.stat().st_size for path in paths)
        pattern = self.spool.batch(tenant, paths)
        try:
            self.store.load_otlp_batch(pattern, otlp_format.STRUCTURE, otlp_format.FORMAT_SETTINGS, self._params(tenant))
        except Exception:
            self.spool.unbatch(pattern)
            raise
        self.spool.remove_batch(pattern)
        self.metrics.store_up = 1
        spans = sum(spans_in(path) for path in paths)
        self._removed(paths, size)
        self.metrics.add(stored_spans=spans)
        return spans

    def _store_answers(self, tenant: str) -> bool:
        """Does the store take a load at all? An empty request through the same insert tells."""
        try:
            self.store.load_otlp_batch(self._probe, otlp_format.STRUCTURE, otlp_format.FORMAT_SETTINGS, self._params(tenant))
        except Exception as exc:
            log.debug("store probe failed: %s", exc)
            return False
        return True

    def _refused(self, path: Path, error: Exception) -> None:
        strikes = self._strikes.get(path.name, 0) + 1
        self._strikes[path.name] = strikes
        if strikes < DEAD_LETTER_AFTER:
            log.warning("the store refused spool file %s (%d of %d): %s", path.name, strikes, DEAD_LETTER_AFTER, error)
            return
        size, spans = path.stat().st_size, spans_in(path)
        reason = (f"The store refused this spool file {strikes} times in a row while it accepted an empty load, "
                  f"so the file itself is the problem. It holds {spans} checked spans of tenant {path.name.split('.')[1]}.\n"
                  f"Last error: {error}\n")
        target = self.spool.dead_letter(path, reason)
        log.error("spool file %s (%d spans) moved to %s: %s", path.name, spans, target, error)
        self._removed([path], size)
        self.metrics.add(dead_letter_spans=spans, dead_letter_files=1)

    def _removed(self, paths: list[Path], size: int) -> None:
        for path in paths:
            self._strikes.pop(path.name, None)
        self.on_removed(len(paths), size)

    def _params(self, tenant: str) -> dict[str, Any]:
        return {"tenant": tenant, "max_attribute_bytes": self.max_attribute_bytes,
                "max_attributes": self.max_attributes_per_span, **self.redaction_params}


def check_redaction(store: Any, redaction: Redaction) -> None:
    """A pattern ClickHouse's RE2 refuses would fail every load: refuse to start instead (the store answers by now)."""
    try:
        store.frame("redaction_check", {"text": "card 4111 1111 1111 1111", **redaction.params()})
    except Exception as exc:
        raise ValueError(f"SPANLEDGER_REDACT_PATTERNS (redact_patterns): not usable as RE2 patterns: {exc}") from None
