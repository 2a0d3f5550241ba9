"""OTLP/HTTP: POST /v1/traces (and Langfuse's /api/public/otel/v1/traces), protobuf or JSON, gzip/deflate."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request, Response

from ingest.bodies import TooLarge, decompress, json_to_protobuf, response_body
from ingest.validate import BadRequest, inspect_request
from ingest.writer import Backpressure, BatchWriter, StoreUnavailable

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_RPC_CODES = {400: 3, 415: 3, 413: 8, 429: 14, 503: 14}  # HTTP status → google.rpc.Code


def _status(code: int, message: str, as_json: bool, headers: dict[str, str] | None = None) -> Response:
    """An OTLP error response: a google.rpc.Status body, JSON or protobuf like the request."""
    from google.protobuf import json_format
    from google.rpc import status_pb2

    status = status_pb2.Status(code=_RPC_CODES.get(code, 14), message=message)
    if as_json:
        body = json_format.MessageToJson(status, indent=None).encode()
    else:
        body = status.SerializeToString()
    return Response(body, status_code=code, media_type=JSON if as_json else PROTOBUF, headers=headers)


def otlp_router(writer: BatchWriter, max_request_bytes: int) -> APIRouter:
    router = APIRouter()

    async def export(request: Request) -> Response:
        metrics = writer.metrics
        metrics.add(requests=1)
        content_type = request.headers.get("content-type", PROTOBUF).split(";")[0].strip().lower()
        as_json = content_type == JSON
        if content_type not in (JSON, PROTOBUF, "application/protobuf"):
            metrics.add(invalid_requests=1)
            return _status(415, f"unsupported Content-Type {content_type!r}; use {PROTOBUF} or {JSON}", as_json)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_request_bytes:
            metrics.add(invalid_requests=1)
            return _status(413, f"request body is {declared} bytes, the limit is {max_request_bytes}", as_json)
        try:
            writer.check_room(int(declared) if declared and declared.isdigit() else 0)  # before reading the body
        except Backpressure as exc:
            return _status(429, str(exc), as_json, {"Retry-After": str(int(exc.retry_after + 0.999))})
        raw = bytearray()
        async for chunk in request.stream():
            raw.extend(chunk)
            if len(raw) > max_request_bytes:
                metrics.add(invalid_requests=1)
                return _status(413, f"request body exceeds the limit of {max_request_bytes} bytes", as_json)
        try:
            body = decompress(bytes(raw), request.headers.get("content-encoding", ""), max_request_bytes)
            json_repaired = False
            if as_json:
                body, json_repaired = json_to_protobuf(body)
            checked = inspect_request(body, time.time_ns(), writer.max_spans_per_request)
        except TooLarge as exc:
            metrics.add(invalid_requests=1)
            return _status(413, str(exc), as_json)
        except BadRequest as exc:
            metrics.add(invalid_requests=1)
            return _status(400, str(exc), as_json)
        problem = checked.problem
        if json_repaired:
            problem = "; ".join(part for part in (problem, "the body held invalid UTF-8; each invalid sequence was stored as U+FFFD") if part)
        if checked.rejected or checked.repaired or json_repaired:
            metrics.add(rejected_spans=checked.rejected, repaired_requests=int(bool(checked.repaired or json_repaired)))
        try:
            if checked.spans:
                ticket = writer.submit(checked.body, checked.spans)
                loop = asyncio.get_running_loop()
                durable = loop.create_future()
                ticket.on_done(lambda: _call_soon(loop, durable))
                await asyncio.wait_for(durable, 60.0)
                ticket.wait(0)
        except TimeoutError:
            return _status(503, "timed out waiting for the store", as_json, {"Retry-After": "5"})
        except Backpressure as exc:
            return _status(429, str(exc), as_json, {"Retry-After": str(int(exc.retry_after + 0.999))})
        except StoreUnavailable as exc:
            return _status(503, str(exc), as_json, {"Retry-After": "5"})
        return Response(response_body(checked.rejected, problem, as_json),
                        media_type=JSON if as_json else PROTOBUF)

    router.add_api_route("/v1/traces", export, methods=["POST"])
    router.add_api_route("/api/public/otel/v1/traces", export, methods=["POST"])
    return router


def _call_soon(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
    loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
