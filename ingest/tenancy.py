"""The tenant of an OTLP request comes from its credentials, never from span or resource attributes: the
transports call a TenantOf given by the wiring with the request's headers (gRPC metadata likewise, names
lower-case), before reading the body. It raises Unauthenticated to refuse the request, for good."""

from __future__ import annotations

from collections.abc import Callable, Mapping

TenantOf = Callable[[Mapping[str, str]], str]


class Unauthenticated(Exception):
    """Missing or invalid credentials: UNAUTHENTICATED / 401, which exporters do not retry."""


def default_tenant(headers: Mapping[str, str]) -> str:
    return "default"
