"""TLS on all three servers from a certificate generated here, and the guard against exposing a server
without authentication on a non-loopback address."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.serve_process import ServeProcess
from tests.tenant_spans import exporter, send_session

CLI = str(Path(sys.executable).with_name("spanledger"))


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spanledger test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                               x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def test_grpc_http_and_ui_speak_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets these variables win over a session's own CA file, which the HTTP exporter's certificate_file sets.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    cert, key = self_signed(tmp_path)
    server = ServeProcess(tmp_path / "data", {"SPANLEDGER_TLS_CERT_FILE": str(cert), "SPANLEDGER_TLS_KEY_FILE": str(key),
                                              "SPANLEDGER_FSYNC": "false", "SPANLEDGER_JOBS_ENABLED": "false"})
    server.start(wait_ready=False)
    try:
        assert server.http.startswith("https://") and server.ui.startswith("https://")
        trusted = ssl.create_default_context(cafile=str(cert))
        assert httpx.get(server.http + "/readyz", verify=trusted).status_code == 200
        grpc_ok = send_session(exporter(server.grpc_target, None, "grpc", certificate=str(cert)), "tls-agent", "tls-grpc")
        http_ok = send_session(exporter(server.http, None, "http", certificate=str(cert)), "tls-agent", "tls-http")
        assert grpc_ok == http_ok == [SpanExportResult.SUCCESS] * 2
        # Plaintext is not spoken on any port, and a client that does not trust the certificate refuses it.
        assert send_session(exporter(server.grpc_target, None, "grpc"), "tls-agent", "plain-grpc") == [SpanExportResult.FAILURE] * 2
        with pytest.raises(httpx.HTTPError):
            httpx.get(server.http.replace("https://", "http://") + "/readyz")
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.ui + "/")
        assert httpx.get(server.ui + "/", verify=trusted).status_code == 200
        env = {"PATH": os.environ.get("PATH", ""), "SSL_CERT_FILE": str(cert)}
        expected = ["session_id", "tls-grpc", "tls-grpc", "tls-http", "tls-http"]
        for _ in range(20):  # stored within load_max_wait_ms of the acknowledgement
            done = subprocess.run([CLI, "query", "SELECT session_id FROM spans FINAL WHERE service_name = 'tls-agent' ORDER BY session_id",
                                   "--url", server.http, "--format", "csv"], capture_output=True, text=True, env=env, timeout=60)
            assert done.returncode == 0, done.stderr
            if done.stdout.split() == expected:
                break
        assert done.stdout.split() == expected
    finally:
        server.close()


def test_a_non_loopback_address_needs_auth_or_an_explicit_allowance(tmp_path: Path) -> None:
    env = {**os.environ, "SPANLEDGER_HOST": "0.0.0.0", "SPANLEDGER_LOG_LEVEL": "WARNING"}
    refused = subprocess.run([CLI, "serve", "--data-dir", str(tmp_path / "refused"), "--grpc-port", "0", "--http-port", "0",
                              "--ui-port", "0"], capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode != 0
    assert "refusing to listen on 0.0.0.0 without authentication" in refused.stderr and "SPANLEDGER_AUTH_REQUIRED" in refused.stderr
    assert not (tmp_path / "refused" / "chdb").exists()  # refused before opening anything
    allowed = ServeProcess(tmp_path / "allowed", {"SPANLEDGER_HOST": "0.0.0.0", "SPANLEDGER_ALLOW_UNAUTHENTICATED_REMOTE": "true"}).start()
    try:
        assert allowed.ready()
    finally:
        allowed.close()
    required = ServeProcess(tmp_path / "required", {"SPANLEDGER_HOST": "0.0.0.0", "SPANLEDGER_AUTH_REQUIRED": "true"}).start()
    try:
        assert httpx.post(required.http + "/api/query", json={"sql": "SELECT 1"}).status_code == 401
    finally:
        required.close()
