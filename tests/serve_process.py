"""`spanledger serve` as a real subprocess on free loopback ports, and raw OTLP calls to it.

For the reliability tests, which kill, restart and overload a server and so need one of their own (chDB
allows one data directory per process, and the shared test service must not be killed).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ROOT = Path(__file__).resolve().parent.parent
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
PROTOBUF = {"Content-Type": "application/x-protobuf"}


class ServeProcess:
    """One `spanledger serve --data-dir DIR`; SPANLEDGER_* settings come from env."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        # Against a ClickHouse server when the test suite is pointed at one, like the in-process tests.
        server = {"SPANLEDGER_CLICKHOUSE_URL": os.environ["SPANLEDGER_TEST_CLICKHOUSE_URL"]} if os.environ.get("SPANLEDGER_TEST_CLICKHOUSE_URL") else {}
        self.env = {**os.environ, "SPANLEDGER_LOG_LEVEL": "WARNING", **server, **(env or {})}
        self.log = data_dir.parent / f"{data_dir.name}-server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.grpc_target = self.http = self.ui = ""

    def start(self, wait_ready: bool = True, timeout: float = 60.0) -> ServeProcess:
        out = self.data_dir.parent / f"{self.data_dir.name}-server.out"
        command = [str(Path(sys.executable).with_name("spanledger")), "serve", "--data-dir", str(self.data_dir),
                   "--grpc-port", "0", "--http-port", "0", "--ui-port", "0"]
        with out.open("wb") as stdout, self.log.open("ab") as stderr:
            self.process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            text = out.read_text()
            grpc_at, http_at = re.search(r"OTLP/gRPC\s+(\S+)", text), re.search(r"API\s+(https?://[^/\s]+)", text)
            ui_at = re.search(r"UI\s+(https?://[^/\s]+)", text)
            if grpc_at and http_at and ui_at:
                self.grpc_target, self.http, self.ui = grpc_at.group(1), http_at.group(1), ui_at.group(1)
                if not wait_ready or self.ready():
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{self.log.read_text()[-3000:]}")

    def ready(self) -> bool:
        try:
            return httpx.get(self.http + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def metrics(self) -> dict[str, float]:
        text = httpx.get(self.http + "/metrics", timeout=10).text
        return {m.group(1): float(m.group(2)) for m in re.finditer(r"^spanledger_(\w+) (\S+)$", text, re.MULTILINE)}

    def wait_drained(self, timeout: float = 60.0) -> dict[str, float]:
        """Waits until every accepted byte is in the store (queue_bytes 0)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            metrics = self.metrics()
            if metrics["queue_bytes"] == 0:
                return metrics
            time.sleep(0.1)
        raise AssertionError(f"queue not drained after {timeout:.0f}s: {self.metrics()}")

    def query(self, sql: str) -> list[list]:  # type: ignore[type-arg]
        response = httpx.post(self.http + "/api/query", json={"sql": sql}, timeout=60)
        response.raise_for_status()
        return response.json()["rows"]  # type: ignore[no-any-return]

    def rss_mb(self) -> float:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else 0.0

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM; returns the exit code and the seconds it took."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"no exit {timeout:.0f}s after SIGTERM:\n{self.log.read_text()[-3000:]}") from None
        return code, time.monotonic() - started

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def build_request(service_name: str, span_ids: list[bytes], attributes: dict[str, str] | None = None) -> bytes:
    """One request: one trace of the given spans, each with the given string attributes."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    attribute = resource_spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", service_name
    scope = resource_spans.scope_spans.add()
    trace_id, now = os.urandom(16), time.time_ns()
    for index, span_id in enumerate(span_ids):
        span = scope.spans.add()
        span.trace_id, span.span_id, span.name = trace_id, span_id, f"chat {index}"
        span.start_time_unix_nano, span.end_time_unix_nano = now, now + 1_000_000
        for key, value in (attributes or {}).items():
            item = span.attributes.add()
            item.key, item.value.string_value = key, value
    return request.SerializeToString()


def span_ids(count: int) -> list[bytes]:
    return [os.urandom(8) for _ in range(count)]


def grpc_export(channel: grpc.Channel, body: bytes, timeout: float = 10.0) -> tuple[grpc.StatusCode, bytes, float | None]:
    """Export raw bytes; returns the status code, the response bytes and the RetryInfo delay, if any."""
    call = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
    try:
        response, _ = call.with_call(body, timeout=timeout)
        return grpc.StatusCode.OK, response, None
    except grpc.RpcError as error:
        return error.code(), b"", retry_delay(error.trailing_metadata() or ())


def retry_delay(trailing: object) -> float | None:
    for key, value in trailing:  # type: ignore[attr-defined]
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                    info = error_details_pb2.RetryInfo()
                    detail.Unpack(info)
                    return info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    return None
