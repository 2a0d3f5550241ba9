"""Repairs OTLP trace requests whose string fields hold invalid UTF-8, which upb refuses to parse at all.

Some SDKs (Java, JavaScript, the Collector's pdata) send such bytes. Rather than refuse every span of the
request, the request is read through a copy of the OTLP schema in which every `string` is `bytes`, each
invalid sequence is replaced with U+FFFD, and the request is written again. Only requests that failed the
strict parse come here, so the hot path never pays for it. Pure: bytes in, bytes out.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

_REQUEST = "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"


@cache
def _lenient_request() -> tuple[Any, frozenset[str]]:
    """The request class with strings as bytes, and the full names of the fields that were strings."""
    pool = descriptor_pool.DescriptorPool()
    strings: set[str] = set()
    for module in (common_pb2, resource_pb2, trace_pb2, trace_service_pb2):
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        pending = [(f"{proto.package}.{message.name}", message) for message in proto.message_type]
        while pending:
            name, message = pending.pop()
            pending += [(f"{name}.{nested.name}", nested) for nested in message.nested_type]
            for item in message.field:
                if item.type == descriptor_pb2.FieldDescriptorProto.TYPE_STRING:
                    item.type = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
                    strings.add(f"{name}.{item.name}")
        pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(_REQUEST)), frozenset(strings)


def repair_invalid_utf8(body: bytes) -> tuple[bytes, int]:
    """The request with invalid UTF-8 replaced, and how many string values were repaired.

    Raises DecodeError when the body is not a trace request for another reason.
    """
    lenient, strings = _lenient_request()
    message = lenient.FromString(body)  # raises DecodeError for anything but UTF-8 trouble
    repaired = _repair(message, strings)
    return message.SerializeToString(), repaired


def _repair(message: Any, strings: frozenset[str]) -> int:
    repaired = 0
    for descriptor, value in message.ListFields():
        if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
            if _is_repeated(descriptor):
                repaired += sum(_repair(item, strings) for item in value)
            else:
                repaired += _repair(value, strings)
        elif descriptor.full_name in strings:
            if _is_repeated(descriptor):
                fixed = [_valid(item) for item in value]
                repaired += sum(new is not old for new, old in zip(fixed, value, strict=True))
                value[:] = fixed
            else:
                new = _valid(value)
                if new is not value:
                    setattr(message, descriptor.name, new)
                    repaired += 1
    return repaired


def _is_repeated(descriptor: FieldDescriptor) -> bool:
    repeated = getattr(descriptor, "is_repeated", None)  # protobuf 7 dropped .label
    return bool(repeated) if repeated is not None else descriptor.label == FieldDescriptor.LABEL_REPEATED


def _valid(raw: bytes) -> bytes:
    """raw itself when it is valid UTF-8, else a repaired copy."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace").encode("utf-8")
    return raw

