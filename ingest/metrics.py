"""Ingest counters, gauges and the flush-latency histogram, rendered in the Prometheus text format."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_COUNTERS = (
    ("requests", "export_requests_total", "OTLP export requests received."),
    ("invalid_requests", "invalid_requests_total", "Requests refused as undecodable or too large (non-retryable)."),
    ("accepted_spans", "accepted_spans_total", "Spans acknowledged to clients (durable in the spool); a re-sent span counts again."),
    ("stored_spans", "stored_spans_total", "Spans loaded into the store; a re-sent span counts again, queries count it once (FINAL)."),
    ("rejected_spans", "rejected_spans_total", "Invalid spans left out of valid requests (partial success)."),
    ("repaired_requests", "utf8_repaired_requests_total", "Requests whose invalid UTF-8 strings were stored with U+FFFD replacements."),
    ("backpressure", "backpressure_total", "Requests answered with a retryable backpressure code (queue full)."),
    ("failed_batches", "failed_batches_total", "Loads the store refused; their spans stay in the spool and are retried."),
    ("dead_letter_spans", "dead_letter_spans_total", "Acknowledged spans set aside in dead-letter/ because the store kept refusing their file."),
    ("dead_letter_files", "dead_letter_files_total", "Spool files moved to dead-letter/ (each with a .reason.txt)."),
    ("batch_bytes", "batch_bytes_total", "Request bytes written to the spool."),
    ("loads", "loads_total", "Load rounds that stored spans."),
)
_GAUGES = (
    ("queue_bytes", "queue_bytes", "Request bytes accepted but not yet in the store (memory and spool)."),
    ("queue_max_bytes", "queue_max_bytes", "Backpressure starts when queue_bytes would exceed this (SPANLEDGER_QUEUE_MAX_BYTES)."),
    ("spool_bytes", "spool_bytes", "Bytes of acknowledged requests in spool files, waiting for the store."),
    ("spool_files", "spool_files", "Spool files waiting for the store (spool depth)."),
    ("store_up", "store_up", "1 when the last load or probe reached the store, 0 while it does not answer."),
)


@dataclass
class IngestMetrics:
    requests: int = 0
    invalid_requests: int = 0
    accepted_spans: int = 0
    stored_spans: int = 0
    rejected_spans: int = 0
    repaired_requests: int = 0
    backpressure: int = 0
    failed_batches: int = 0
    dead_letter_spans: int = 0
    dead_letter_files: int = 0
    batches: int = 0
    batch_bytes: int = 0
    loads: int = 0
    queue_bytes: int = 0
    queue_max_bytes: int = 0
    spool_bytes: int = 0
    spool_files: int = 0
    store_up: int = 1
    load_seconds_sum: float = 0.0
    flush_seconds_sum: float = 0.0
    flush_buckets: list[int] = field(default_factory=lambda: [0] * len(_BUCKETS))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **increments: int) -> None:
        """Adds to counters from any thread (a bare += from many threads can lose counts)."""
        with self._lock:
            for name, value in increments.items():
                setattr(self, name, getattr(self, name) + value)

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
        """One load round of spooled files into the store."""
        with self._lock:
            self.loads += 1
            self.load_seconds_sum += seconds

    def render(self, redactions: Sequence[tuple[str, str, int]] = ()) -> str:
        """The Prometheus text; redactions: (tenant, detector, values masked) as the store counts them."""
        lines = []
        with self._lock:
            for attribute, name, text in _COUNTERS:
                lines += [f"# HELP spanledger_{name} {text}", f"# TYPE spanledger_{name} counter",
                          f"spanledger_{name} {getattr(self, attribute)}"]
            lines += ["# HELP spanledger_load_seconds_total Time spent loading spooled requests into the store.",
                      "# TYPE spanledger_load_seconds_total counter", f"spanledger_load_seconds_total {round(self.load_seconds_sum, 6)}"]
            for attribute, name, text in _GAUGES:
                lines += [f"# HELP spanledger_{name} {text}", f"# TYPE spanledger_{name} gauge",
                          f"spanledger_{name} {getattr(self, attribute)}"]
            lines += ["# HELP spanledger_flush_seconds Time to write and fsync one group commit to the spool.",
                      "# TYPE spanledger_flush_seconds histogram"]
            for bound, count in zip(_BUCKETS, self.flush_buckets, strict=True):
                lines.append(f'spanledger_flush_seconds_bucket{{le="{bound}"}} {count}')
            lines.append(f'spanledger_flush_seconds_bucket{{le="+Inf"}} {self.batches}')
            lines.append(f"spanledger_flush_seconds_sum {self.flush_seconds_sum}")
            lines.append(f"spanledger_flush_seconds_count {self.batches}")
        lines += ["# HELP spanledger_redactions_total Attribute values, event attributes and status messages masked before storage, by detector.",
                  "# TYPE spanledger_redactions_total counter"]
        lines += [f'spanledger_redactions_total{{tenant="{_label(tenant)}",detector="{_label(detector)}"}} {masked}'
                  for tenant, detector, masked in redactions]
        return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
