"""PII and secrets are masked before storage: spans in through a real exporter, rows and /metrics out."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
import threading
import time

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from ingest.redaction import DETECTORS, Redaction
from ingest.writer import BatchWriter
from tests.conftest import rows
from tests.serve_process import build_request, span_ids

CARD = "4111 1111 1111 1111"  # Luhn-valid test Visa
NOT_A_CARD = "4111 1111 1111 1112"  # fails the Luhn check
OPENAI_KEY = "sk-proj-Tq8vN2xLw5Rk3Jh7Zp9Ya1Bc4De6Fg0"
ANTHROPIC_KEY = "sk-ant-api03-Xy7Wv2Lq9Rt4Mn8Kj3Hg6Fd1Sa5Pz0"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
IBAN = "GB82 WEST 1234 5698 7654 32"
SECRETS = (CARD, OPENAI_KEY, ANTHROPIC_KEY, AWS_KEY, GITHUB_TOKEN, IBAN, "alice@example.com", "+44 20 7946 0958",
           "Bearer eyJhbGciOiJIUzI1NiJ9.payload")


def _send(service, service_name: str, spans: list[dict]) -> None:  # type: ignore[no-untyped-def,type-arg]
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{service.http_port}/v1/traces")))
    tracer = provider.get_tracer("test")
    for attributes in spans:
        with tracer.start_as_current_span("chat", attributes=attributes) as span:
            span.add_event("exception", {"exception.message": f"upstream refused key {OPENAI_KEY}"})
            span.set_status(Status(StatusCode.ERROR, "charge of card 5500 0000 0000 0004 failed"))
    provider.shutdown()


def _stored(store, service_name: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return rows(store, "SELECT * FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time", {"s": service_name})


def test_card_numbers_keys_and_contacts_are_stored_masked(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    name = f"redact-{unique}"
    _send(service, name, [
        {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 100,
         "user.id": "alice@example.com", "gen_ai.input.messages": f"my card is {CARD}, call me on +44 20 7946 0958",
         "http.request.header.authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload",
         "tool.arguments": f'{{"openai": "{OPENAI_KEY}", "anthropic": "{ANTHROPIC_KEY}", "aws": "{AWS_KEY}", "gh": "{GITHUB_TOKEN}"}}',
         "payment.iban": IBAN, "order.reference": NOT_A_CARD},
        {"user.id": "alice@example.com", "note": "second request of the same user"},
        {"user.id": "bob@example.com"},
    ])
    service.flush()
    first, second, third = _stored(store, name)
    text = str(first)
    for secret in SECRETS:
        assert secret not in text, secret
    attributes = dict(first["attributes"])
    assert attributes["gen_ai.input.messages"].startswith("my card is [redacted:card ****1111], call me on [redacted:phone ")
    assert attributes["http.request.header.authorization"] == "Bearer [redacted:bearer]"
    assert attributes["tool.arguments"] == ('{"openai": "[redacted:openai_key]", "anthropic": "[redacted:anthropic_key]", '
                                            '"aws": "[redacted:aws_key]", "gh": "[redacted:github_token]"}')
    assert attributes["payment.iban"] == "[redacted:iban]"
    assert attributes["order.reference"] == NOT_A_CARD  # not a card number: kept
    assert dict(first["events"][0]["attributes"])["exception.message"] == "upstream refused key [redacted:openai_key]"
    assert first["status_message"] == "charge of card [redacted:card ****0004] failed"
    # One user stays one user (a keyed pseudonym), and two users stay two.
    assert first["user_id"].startswith("[redacted:email ") and first["user_id"] == second["user_id"] != third["user_id"]
    assert dict(first["attributes"])["user.id"] == first["user_id"]
    # Tokens and cost were read before masking.
    assert first["input_tokens"] == 100 and first["cost_source"] == "computed"
    assert dict(first["redactions"]) == {"card": 1, "phone": 1, "bearer": 1, "openai_key": 2, "anthropic_key": 1,
                                         "aws_key": 1, "github_token": 1, "iban": 1, "email": 1}


def test_redactions_are_counted_in_metrics(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    def aws_masked() -> float:
        text = httpx.get(f"http://127.0.0.1:{service.http_port}/metrics").text
        found = [line for line in text.splitlines() if line.startswith('spanledger_redactions_total{tenant="default",detector="aws_key"}')]
        return float(found[0].split()[-1]) if found else 0.0

    before = aws_masked()
    _send(service, f"redact-metric-{unique}", [{"config": f"aws={AWS_KEY} backup={AWS_KEY}"} for _ in range(3)])
    service.flush()
    assert aws_masked() - before == 6


def test_a_scrape_does_not_wait_behind_a_long_store_query(service) -> None:  # type: ignore[no-untyped-def]
    # The redaction counts come from the store; its connection runs one query at a time (embedded), so a scrape
    # during a load or a jobs pass waited for it. Prometheus gives up after 10 s and then sees no ingest figures.
    slow = threading.Thread(target=service.store.backend.query_arrow, args=(
        "SELECT sleepEachRow(0.5) FROM numbers(12) SETTINGS function_sleep_max_microseconds_per_block = 10000000",))
    slow.start()
    time.sleep(0.3)
    started = time.monotonic()
    text = httpx.get(f"http://127.0.0.1:{service.http_port}/metrics", timeout=30).text
    waited = time.monotonic() - started
    slow.join()
    assert waited < 4.0 and "spanledger_accepted_spans_total" in text, waited


def _writer(service, tmp_path, redaction: Redaction) -> BatchWriter:  # type: ignore[no-untyped-def]
    return BatchWriter(service.store, tmp_path / "spool", batch_max_bytes=1 << 20, load_max_bytes=4 << 20, batch_max_delay_ms=5,
                       queue_max_bytes=1 << 24, fsync=False, redaction=redaction)


def test_keep_drop_and_custom_patterns(service, store, unique, tmp_path) -> None:  # type: ignore[no-untyped-def]
    redaction = Redaction(keep=("support.*",), drop=("gen_ai.input.messages",), patterns=(r"ORDER-\d{6}", r"password=(\S+)"))
    writer = _writer(service, tmp_path, redaction)
    writer.start()
    try:
        writer.write(build_request(f"redact-cfg-{unique}", span_ids(1), {
            "support.contact": "carol@example.com", "gen_ai.input.messages": "x" * 1234,
            "note": "ticket ORDER-123456 with password=hunter2 and carol@example.com"}), 1)
        writer.flush()
    finally:
        writer.stop()
    (span,) = _stored(store, f"redact-cfg-{unique}")
    attributes = dict(span["attributes"])
    assert attributes["support.contact"] == "carol@example.com"  # kept as sent
    assert attributes["gen_ai.input.messages"] == "[redacted:dropped 1234 bytes]"
    assert attributes["note"].startswith("ticket [redacted:custom] with [redacted:custom] and [redacted:email ")
    assert dict(span["redactions"]) == {"custom": 2, "email": 1, "dropped": 1}


def test_a_pattern_clickhouse_cannot_compile_stops_the_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "SPANLEDGER_REDACT_PATTERNS": '["(unclosed"]', "SPANLEDGER_DATA_DIR": str(tmp_path),
           "SPANLEDGER_GRPC_PORT": "0", "SPANLEDGER_HTTP_PORT": "0", "SPANLEDGER_UI_PORT": "0", "SPANLEDGER_JOBS_ENABLED": "false"}
    started = subprocess.run([sys.executable, "-m", "spanledger.cli", "serve"], env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode != 0
    assert "SPANLEDGER_REDACT_PATTERNS (redact_patterns): not usable as RE2 patterns" in started.stderr
    assert "Traceback" not in started.stderr


def test_no_detectors_stores_values_as_sent(store) -> None:  # type: ignore[no-untyped-def]
    text = f"card {CARD} key {OPENAI_KEY} mail alice@example.com"
    checked = store.frame("redaction_check", {"text": text, **Redaction(detectors=()).params()}).row(0, named=True)
    assert checked == {"text": text, "attribute": text}


def _luhn_complete(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


filler = st.text(alphabet=string.ascii_letters + " ,;:()[]{}\"'\n\t-_/é漢", max_size=40)


@st.composite
def secret(draw) -> str:  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["card", "openai", "aws", "github", "email"]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    if kind == "card":
        separator = draw(st.sampled_from(["", " ", "-"]))
        if draw(st.booleans()):  # Amex: 15 digits, printed 4-6-5
            digits = _luhn_complete("3" + rng.choice("47") + "".join(rng.choice(string.digits) for _ in range(12)))
            return separator.join((digits[:4], digits[4:10], digits[10:]))
        digits = _luhn_complete(rng.choice("3456") + "".join(rng.choice(string.digits) for _ in range(14)))
        return separator.join(digits[i:i + 4] for i in range(0, 16, 4))
    if kind == "openai":
        return "sk-proj-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
    if kind == "aws":
        return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    if kind == "github":
        return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(8)) + "@corp.example.org"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.tuples(filler, secret()), min_size=1, max_size=4), tail=filler)
def test_no_secret_survives_whatever_surrounds_it(store, parts, tail) -> None:  # type: ignore[no-untyped-def]
    text = "".join(before + " " + hidden + " " for before, hidden in parts) + tail
    checked = store.frame("redaction_check", {"text": text, **Redaction(detectors=DETECTORS).params()}).row(0, named=True)
    for _, hidden in parts:
        assert hidden not in checked["text"] and hidden not in checked["attribute"]
    for before, _ in parts:  # the text around the secrets is kept
        assert before.strip() in checked["text"]
