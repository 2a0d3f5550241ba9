"""Ingest limits are settings with clear answers: too many spans in one request, too many attributes on a span."""

from __future__ import annotations

import grpc
import httpx
import pytest

from tests.conftest import rows
from tests.serve_process import PROTOBUF, build_request, grpc_export, span_ids


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_a_request_over_the_span_limit_is_refused_whole(service, store, unique, transport, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service.writer, "max_spans_per_request", 5)
    name = f"span-limit-{transport}-{unique}"
    if transport == "grpc":
        with grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
            refused = grpc_export(channel, build_request(name, span_ids(6)))
            accepted = grpc_export(channel, build_request(name, span_ids(5)))
        assert refused[0] == grpc.StatusCode.INVALID_ARGUMENT and accepted[0] == grpc.StatusCode.OK
    else:
        url = f"http://127.0.0.1:{service.http_port}/v1/traces"
        refused_response = httpx.post(url, content=build_request(name, span_ids(6)), headers=PROTOBUF)
        assert refused_response.status_code == 400
        assert httpx.post(url, content=build_request(name, span_ids(5)), headers=PROTOBUF).status_code == 200
    service.flush()
    assert rows(store, "SELECT count() AS n FROM spans FINAL WHERE service_name = {s:String}", {"s": name})[0]["n"] == 5


def test_the_span_limit_error_names_the_setting(service, unique, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service.writer, "max_spans_per_request", 2)
    with grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                                   request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as refused:
            call(build_request(f"span-limit-msg-{unique}", span_ids(3)), timeout=10)
    assert "3 spans, more than the limit of 2 (SPANLEDGER_MAX_SPANS_PER_REQUEST)" in refused.value.details()


def test_attributes_beyond_the_limit_are_dropped_and_counted(service, store, unique, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service.writer.loader, "max_attributes_per_span", 3)
    attributes = {f"key.{index}": f"value {index}" for index in range(5)}
    with grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        assert grpc_export(channel, build_request(f"attr-limit-{unique}", span_ids(1), attributes))[0] == grpc.StatusCode.OK
    service.flush()
    (span,) = rows(store, "SELECT attributes FROM spans FINAL WHERE service_name = {s:String}", {"s": f"attr-limit-{unique}"})
    assert dict(span["attributes"]) == {"key.0": "value 0", "key.1": "value 1", "key.2": "value 2", "spanledger.dropped_attributes": "2"}
