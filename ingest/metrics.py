"""Ingest counters and the flush-latency histogram, rendered in the Prometheus text format."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class IngestMetrics:
    requests: int = 0
    invalid_requests: int = 0
    stored_spans: int = 0
    rejected_spans: int = 0
    backpressure: int = 0
    failed_batches: int = 0
    batches: int = 0
    batch_bytes: int = 0
    queue_bytes: int = 0
    loads: int = 0
    load_seconds_sum: float = 0.0
    flush_seconds_sum: float = 0.0
    flush_buckets: list[int] = field(default_factory=lambda: [0] * len(_BUCKETS))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe_spool(self, seconds: float, requests: int, size: int) -> None:
        """One group commit: requests framed, written and fsync'd in seconds."""
        with self._lock:
            self.batches += 1
            self.batch_bytes += size
            self.flush_seconds_sum += seconds
            for index, bound in enumerate(_BUCKETS):
                if seconds <= bound:
                    self.flush_buckets[index] += 1

    def observe_load(self, seconds: float) -> None:
        """One load of spooled files into the store."""
        with self._lock:
            self.loads += 1
            self.load_seconds_sum += seconds

    def render(self) -> str:
        lines = []

        def counter(name: str, value: float, text: str) -> None:
            lines.extend([f"# HELP spanledger_{name} {text}", f"# TYPE spanledger_{name} counter", f"spanledger_{name} {value}"])

        counter("export_requests_total", self.requests, "OTLP export requests received.")
        counter("invalid_requests_total", self.invalid_requests, "Requests refused as undecodable or too large.")
        counter("stored_spans_total", self.stored_spans, "Spans written to the store.")
        counter("rejected_spans_total", self.rejected_spans, "Invalid spans left out of valid requests (partial success).")
        counter("backpressure_total", self.backpressure, "Requests answered with a retryable backpressure code.")
        counter("failed_batches_total", self.failed_batches, "Batches the store refused (their clients were told to retry).")
        counter("batch_bytes_total", self.batch_bytes, "Request bytes written to the spool.")
        counter("loads_total", self.loads, "Loads of spooled requests into the store.")
        counter("load_seconds_total", round(self.load_seconds_sum, 6), "Time spent loading spooled requests into the store.")
        lines += ["# HELP spanledger_queue_bytes Request bytes accepted but not yet in the store (memory and spool).",
                  "# TYPE spanledger_queue_bytes gauge",
                  f"spanledger_queue_bytes {self.queue_bytes}"]
        lines += ["# HELP spanledger_flush_seconds Time to write and fsync one group commit to the spool.",
                  "# TYPE spanledger_flush_seconds histogram"]
        with self._lock:
            for bound, count in zip(_BUCKETS, self.flush_buckets):
                lines.append(f'spanledger_flush_seconds_bucket{{le="{bound}"}} {count}')
            lines.append(f'spanledger_flush_seconds_bucket{{le="+Inf"}} {self.batches}')
            lines.append(f"spanledger_flush_seconds_sum {self.flush_seconds_sum}")
            lines.append(f"spanledger_flush_seconds_count {self.batches}")
        return "\n".join(lines) + "\n"
