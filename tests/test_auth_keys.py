"""API keys on the shared service (auth optional on loopback): created, listed and revoked with the CLI, sent by
the real OTel exporters over gRPC and HTTP, the tenant taken from the key and never from the spans."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from spanledger.access import Directory
from tests.conftest import rows
from tests.tenant_spans import CLAIMED_TENANT, exporter, send_session

CLI = str(Path(sys.executable).with_name("spanledger"))


def cli(service, *args: str, key: str = "") -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "SPANLEDGER_API_KEY": key}
    return subprocess.run([CLI, *args, "--url", f"http://127.0.0.1:{service.http_port}"], capture_output=True, text=True,
                          env=env, timeout=60)


def create_key(service, tenant: str, role: str = "ingest") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    done = cli(service, "keys", "create", "--tenant", tenant, "--role", role, "--name", "test")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    return key, key.split("_")[1]


def stored_tenants(store, session_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted({row["tenant"] for row in rows(store, "SELECT tenant FROM spans FINAL WHERE session_id = {s:String}", {"s": session_id})})


def test_the_tenant_comes_from_the_key_over_grpc_and_http(service, store, unique: str) -> None:  # type: ignore[no-untyped-def]
    tenant = f"t{unique}"
    key, _ = create_key(service, tenant)
    for via, endpoint, header in (("grpc", f"127.0.0.1:{service.grpc_port}", "authorization"),
                                  ("http", f"http://127.0.0.1:{service.http_port}", "x-api-key")):
        session = f"{unique}-{via}"
        assert send_session(exporter(endpoint, key, via, header), f"agent-{unique}", session) == [SpanExportResult.SUCCESS] * 2
        service.flush()
        # Both spans claim another tenant in their own and their resource's attributes: the key wins.
        assert stored_tenants(store, session) == [tenant], via
        assert CLAIMED_TENANT in rows(store, "SELECT attributes['tenant'] AS t FROM spans FINAL WHERE session_id = {s:String}",
                                      {"s": session})[0]["t"]


def test_an_invalid_key_is_refused_once_and_not_retried(service, store, unique: str) -> None:  # type: ignore[no-untyped-def]
    metrics = service.writer.metrics
    for via, endpoint in (("grpc", f"127.0.0.1:{service.grpc_port}"), ("http", f"http://127.0.0.1:{service.http_port}")):
        before = metrics.unauthenticated_requests
        started = time.monotonic()
        results = send_session(exporter(endpoint, "sl_000000000000_not-a-real-key-at-all", via), f"agent-{unique}", f"{unique}-{via}")
        assert results == [SpanExportResult.FAILURE] * 2, via
        # One refused request per export: the exporters do not retry UNAUTHENTICATED / 401 (they would back off for seconds).
        assert metrics.unauthenticated_requests - before == 2, via
        assert time.monotonic() - started < 3, via
    service.flush()
    assert stored_tenants(store, f"{unique}-grpc") == [] and stored_tenants(store, f"{unique}-http") == []


def test_raw_transports_answer_unauthenticated_and_401(service) -> None:  # type: ignore[no-untyped-def]
    channel = grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}")
    export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
    with pytest.raises(grpc.RpcError) as refused:
        export(b"", metadata=(("x-api-key", "wrong"),), timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    response = httpx.post(f"http://127.0.0.1:{service.http_port}/v1/traces", content=b"",
                          headers={"Content-Type": "application/x-protobuf", "Authorization": "Bearer wrong"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    # Without any key, on loopback with auth optional, spans are accepted as before (tenant 'default').
    assert httpx.post(f"http://127.0.0.1:{service.http_port}/v1/traces", content=b"",
                      headers={"Content-Type": "application/x-protobuf"}).status_code == 200


def test_keys_are_stored_hashed_and_listed_without_the_key(service, store, unique: str) -> None:  # type: ignore[no-untyped-def]
    key, key_id = create_key(service, f"t{unique}", "viewer")
    stored = rows(store, "SELECT * FROM api_keys FINAL WHERE key_id = {k:String}", {"k": key_id})
    assert len(stored) == 1 and stored[0]["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert all(key not in str(value) and key.split("_", 2)[2] not in str(value) for value in stored[0].values())
    listed = cli(service, "keys", "list")
    assert listed.returncode == 0 and key_id in listed.stdout and f"t{unique}" in listed.stdout and key.split("_", 2)[2] not in listed.stdout


def _refused_after(service, key: str, revoke) -> float:  # type: ignore[no-untyped-def]
    """Seconds from the revocation's return until the key's first refused export (raw gRPC, one try every 20 ms)."""
    channel = grpc.insecure_channel(f"127.0.0.1:{service.grpc_port}")
    export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
    export(b"", metadata=(("authorization", f"Bearer {key}"),), timeout=10)  # accepted before
    revoke()
    revoked_at = time.monotonic()
    while time.monotonic() - revoked_at < 5:
        try:
            export(b"", metadata=(("authorization", f"Bearer {key}"),), timeout=10)
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.UNAUTHENTICATED
            return time.monotonic() - revoked_at
        time.sleep(0.02)
    return float("inf")


def test_a_key_revoked_with_the_cli_is_refused_within_one_second(service, unique: str) -> None:  # type: ignore[no-untyped-def]
    key, key_id = create_key(service, f"t{unique}")
    seconds = _refused_after(service, key, lambda: cli(service, "keys", "revoke", key_id).check_returncode())
    assert seconds < 1.0, seconds  # through this server: at once
    assert "1" in [line.split()[-1] for line in cli(service, "keys", "list").stdout.splitlines() if key_id in line]


def test_a_key_revoked_by_another_process_is_refused_within_one_second(service, store, unique: str) -> None:  # type: ignore[no-untyped-def]
    """A revocation the server did not see (another spanledger on the same ClickHouse): the cache expires."""
    key, key_id = create_key(service, f"t{unique}")
    seconds = _refused_after(service, key, lambda: Directory(store).revoke_key(key_id))
    assert seconds < 1.0, seconds


def test_keys_and_users_are_admin_only(service, unique: str) -> None:  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{service.http_port}"
    for role in ("ingest", "viewer"):
        key, _ = create_key(service, f"t{unique}", role)
        for method, path in (("GET", "/api/keys"), ("POST", "/api/keys"), ("GET", "/api/users"), ("POST", "/api/jobs/run")):
            response = httpx.request(method, base + path, json={"tenant": "x", "job": "pass"}, headers={"x-api-key": key})
            assert response.status_code == 403, (role, path, response.text)
        denied = cli(service, "keys", "create", "--tenant", "other", key=key)
        assert denied.returncode != 0 and "403" in denied.stderr
    ingest_key, _ = create_key(service, f"t{unique}", "ingest")
    assert httpx.post(base + "/api/query", json={"sql": "SELECT 1"}, headers={"x-api-key": ingest_key}).status_code == 403
    admin_key, _ = create_key(service, f"t{unique}", "admin")
    assert httpx.get(base + "/api/keys", headers={"x-api-key": admin_key}).status_code == 200


def test_the_proxy_header_is_believed_only_from_trusted_peers(store, unique: str) -> None:  # type: ignore[no-untyped-def]
    from spanledger.access import Unauthenticated

    directory = Directory(store, required=True, proxy_header="X-Forwarded-User", proxy_trusted=["10.1.2.3"])
    directory.create_user(f"u{unique}", "", "viewer", f"t{unique}")
    assert directory.principal({"x-forwarded-user": f"u{unique}"}, "10.1.2.3").tenant == f"t{unique}"
    for peer in ("127.0.0.1", "10.1.2.4", None, "not an address"):
        with pytest.raises(Unauthenticated):
            directory.principal({"x-forwarded-user": f"u{unique}"}, peer)
    with pytest.raises(Unauthenticated):  # a user without a password cannot sign in with one
        directory.login(f"u{unique}", "")
