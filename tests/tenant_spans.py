"""Agent sessions sent with an API key through the real OTel exporters (gRPC or HTTP), for the security tests.

Every span and its resource also claim a tenant of their own ('tenant', 'spanledger.tenant'): the stored
tenant must come from the key, never from these.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

CLAIMED_TENANT = "claimed-by-attributes"


def exporter(endpoint: str, key: str | None, via: str = "grpc", header: str = "authorization", certificate: str | None = None) -> Any:
    """endpoint: host:port for gRPC, http(s)://host:port for HTTP."""
    headers = {} if key is None else {header: f"Bearer {key}" if header == "authorization" else key}
    if via == "grpc":
        import grpc
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        if certificate is not None:
            with open(certificate, "rb") as handle:
                credentials = grpc.ssl_channel_credentials(root_certificates=handle.read())
            return OTLPSpanExporter(endpoint=endpoint, credentials=credentials, headers=headers, timeout=10)
        return OTLPSpanExporter(endpoint=endpoint, insecure=True, headers=headers, timeout=10)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    return HttpExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", headers=headers, timeout=10, certificate_file=certificate)


class Recording:
    """Wraps an exporter and keeps what each export returned."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.results: list[SpanExportResult] = []

    def export(self, spans: Any) -> SpanExportResult:
        result = self.inner.export(spans)
        self.results.append(result)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def send_session(span_exporter: Any, agent: str, session_id: str, model: str = "gpt-4o", tokens: int = 1000) -> list[SpanExportResult]:
    """One session (an agent span with one model call) exported synchronously; returns each export's result."""
    recording = Recording(span_exporter)
    provider = TracerProvider(resource=Resource.create({"service.name": agent, "service.version": "1.0.0",
                                                        "tenant": CLAIMED_TENANT, "spanledger.tenant": CLAIMED_TENANT}))
    provider.add_span_processor(SimpleSpanProcessor(recording))
    tracer = provider.get_tracer("security-tests")
    start = time.time_ns() - 300 * 10**9  # five minutes ago: inside the dashboards' ranges, which end at the last whole minute
    root = tracer.start_span(f"invoke_agent {agent}", start_time=start, attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent, "gen_ai.conversation.id": session_id,
        "tenant": CLAIMED_TENANT, "spanledger.outcome": "resolved"})
    child = tracer.start_span(f"chat {model}", context=trace.set_span_in_context(root), start_time=start + 10**6, attributes={
        "gen_ai.operation.name": "chat", "gen_ai.request.model": model, "tenant": CLAIMED_TENANT,
        "gen_ai.usage.input_tokens": tokens, "gen_ai.usage.output_tokens": tokens // 4})
    child.end(end_time=start + 2 * 10**9)
    root.end(end_time=start + 3 * 10**9)
    provider.shutdown()
    return recording.results
