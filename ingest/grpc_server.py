"""OTLP/gRPC: TraceService/Export on a grpcio server. Requests stay bytes; the writer stores them.

Status codes follow OTLP: OK once the request is durable; UNAVAILABLE with a google.rpc.RetryInfo when the
queue is full or the spool cannot be written (exporters retry after the delay); INVALID_ARGUMENT for a
body that does not parse and RESOURCE_EXHAUSTED without RetryInfo for one over the size limit (both final).
"""

from __future__ import annotations

import logging
import time
from concurrent import futures

import grpc

from ingest.bodies import response_body
from ingest.validate import BadRequest, inspect_request
from ingest.writer import Backpressure, BatchWriter, StoreUnavailable

log = logging.getLogger(__name__)

SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"


def retry_info(seconds: float, message: str) -> tuple[tuple[str, bytes], ...]:
    """google.rpc.Status with a RetryInfo detail, as OTLP exporters read it from grpc-status-details-bin."""
    from google.protobuf import duration_pb2
    from google.rpc import code_pb2, error_details_pb2, status_pb2

    detail = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=int(seconds), nanos=int((seconds % 1) * 1e9)))
    status = status_pb2.Status(code=code_pb2.UNAVAILABLE, message=message)
    status.details.add().Pack(detail)
    return (("grpc-status-details-bin", status.SerializeToString()),)


class TraceExport:
    def __init__(self, writer: BatchWriter, max_request_bytes: int) -> None:
        self.writer = writer
        self.max_request_bytes = max_request_bytes

    def export(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        metrics = self.writer.metrics
        metrics.add(requests=1)
        if len(request) > self.max_request_bytes:
            metrics.add(invalid_requests=1)
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"request is {len(request)} bytes, the limit is {self.max_request_bytes}")
        try:
            self.writer.check_room(len(request))  # before parsing: an overloaded server spends nothing on it
            checked = inspect_request(request, time.time_ns(), self.writer.max_spans_per_request)
            if checked.rejected or checked.repaired:
                metrics.add(rejected_spans=checked.rejected, repaired_requests=int(bool(checked.repaired)))
            if checked.spans:
                self.writer.write(checked.body, checked.spans)
        except BadRequest as exc:
            metrics.add(invalid_requests=1)
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except Backpressure as exc:
            self._unavailable(context, exc.retry_after, str(exc))
        except StoreUnavailable as exc:
            self._unavailable(context, 1.0, str(exc))
        return response_body(checked.rejected, checked.problem, as_json=False)

    @staticmethod
    def _unavailable(context: grpc.ServicerContext, retry_after: float, message: str) -> None:
        context.set_trailing_metadata(retry_info(retry_after, message))
        context.abort(grpc.StatusCode.UNAVAILABLE, message)


def start_grpc_server(writer: BatchWriter, host: str, port: int, max_request_bytes: int, workers: int = 64) -> tuple[grpc.Server, int]:
    """Starts the server; returns it and the bound port (port 0 picks a free one).

    In-flight requests hold at most maximum_concurrent_rpcs x max_request_bytes; beyond that many calls
    grpc itself answers RESOURCE_EXHAUSTED.
    """
    servicer = TraceExport(writer, max_request_bytes)
    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Export": grpc.unary_unary_rpc_method_handler(servicer.export),  # no (de)serializers: raw bytes
    })
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otlp-grpc"),
        handlers=[handler],
        options=[("grpc.max_receive_message_length", max_request_bytes + 1024)],
        maximum_concurrent_rpcs=workers * 4,
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind OTLP/gRPC to {host}:{port}")
    server.start()
    return server, bound
