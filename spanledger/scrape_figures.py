"""What /metrics reads from the store (the redaction counts), without making a scrape wait behind the store.

The store's connection runs one query at a time, so a read can wait for seconds behind a load or a jobs pass;
Prometheus gives up on a scrape after 10 s by default and then has no ingest figures at all. A scrape waits
up to wait_seconds for a fresh read, then answers with the last figures while the read goes on.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong
from typing import Any

from store import Store, StoreError


class RedactionCounts:
    def __init__(self, store: Store, wait_seconds: float = 2.0) -> None:
        self.store = store
        self.wait_seconds = wait_seconds
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._reading: Future[list[tuple[Any, ...]]] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrape-read")

    def rows(self) -> list[tuple[Any, ...]]:
        """(tenant, detector, values masked), as fresh as the store answers within wait_seconds."""
        with self._lock:
            if self._reading is None:
                self._reading = self._pool.submit(lambda: self.store.frame("metrics_redactions").rows())
            reading = self._reading
        try:
            rows = reading.result(timeout=self.wait_seconds)
        except WaitedTooLong:
            return self._rows
        except StoreError:  # the ingest figures matter most when the store is down
            rows = []
        with self._lock:
            if self._reading is reading:
                self._reading = None
            self._rows = rows
        return rows
