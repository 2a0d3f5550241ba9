"""What a server exposes, decided before it binds: refuses a non-loopback address while auth is optional
(unless allow_unauthenticated_remote says so) and reads the TLS certificate and key once."""

from __future__ import annotations

import ipaddress

from spanledger.settings import Settings


class ExposureError(Exception):
    """The settings would expose the server in a way they do not explicitly allow."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    if is_loopback(settings.host) or settings.auth_required or settings.allow_unauthenticated_remote:
        return
    raise ExposureError(f"refusing to listen on {settings.host} without authentication: set SPANLEDGER_AUTH_REQUIRED=true "
                        "(and create API keys with `spanledger keys create`), or SPANLEDGER_ALLOW_UNAUTHENTICATED_REMOTE=true "
                        "to accept anyone who can reach the ports")


def tls_pair(settings: Settings) -> tuple[bytes, bytes] | None:
    """(PEM key, PEM certificate chain), as grpc takes them; None without TLS."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    return settings.tls_key_file.read_bytes(), settings.tls_cert_file.read_bytes()
