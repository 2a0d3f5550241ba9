"""Real local receivers for the alert channels: HTTP servers on loopback that accept only what PagerDuty's
Events API v2, Slack's incoming webhooks and a signed webhook document, and an aiosmtpd SMTP server.

Each receiver records what it accepted; one that is stopped refuses connections on its port until started
again, like a receiver that is down. Validation is written from the services' documentation, not from
alerts/channels.py, so a payload the real service would reject fails the test.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

PD_ACTIONS = {"trigger", "acknowledge", "resolve"}
PD_SEVERITIES = {"critical", "error", "warning", "info"}
PD_KEYS = {"routing_key", "event_action", "dedup_key", "payload", "images", "links", "client", "client_url"}
PD_PAYLOAD_KEYS = {"summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"}
SLACK_BLOCKS = {"section", "header", "divider", "context", "actions", "image", "rich_text"}


def pagerduty_problems(event: Any, routing_key: str) -> list[str]:
    """Events API v2 (developer.pagerduty.com, "Send an Alert Event" / "Resolve"): what PagerDuty would reject."""
    if not isinstance(event, dict):
        return ["event is not an object"]
    problems = [f"unknown field {key}" for key in set(event) - PD_KEYS]
    if event.get("routing_key") != routing_key:
        problems.append("routing_key is not the integration key")
    if event.get("event_action") not in PD_ACTIONS:
        problems.append(f"event_action {event.get('event_action')!r}")
    dedup = event.get("dedup_key")
    if event.get("event_action") != "trigger" and not dedup:
        problems.append("resolve without dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        problems.append("dedup_key must be a string of at most 255 characters")
    if event.get("event_action") == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return problems + ["trigger without payload"]
        problems += [f"unknown payload field {key}" for key in set(payload) - PD_PAYLOAD_KEYS]
        if not isinstance(payload.get("summary"), str) or not 0 < len(payload["summary"]) <= 1024:
            problems.append("payload.summary must be 1..1024 characters")
        if not isinstance(payload.get("source"), str) or not payload["source"]:
            problems.append("payload.source is required")
        if payload.get("severity") not in PD_SEVERITIES:
            problems.append(f"payload.severity {payload.get('severity')!r}")
        if "timestamp" in payload:
            try:
                dt.datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
            except (AttributeError, ValueError):
                problems.append("payload.timestamp is not ISO 8601")
        if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
            problems.append("payload.custom_details must be an object")
        for link in event.get("links", []):
            if not isinstance(link, dict) or not str(link.get("href", "")).startswith(("http://", "https://")):
                problems.append(f"link without href: {link!r}")
    return problems


def slack_problems(message: Any) -> list[str]:
    """Incoming webhooks (api.slack.com/messaging/webhooks, Block Kit reference): what Slack would reject."""
    if not isinstance(message, dict):
        return ["message is not an object"]
    problems = []
    if not (isinstance(message.get("text"), str) and message["text"]) and not message.get("blocks"):
        problems.append("neither text nor blocks")
    if "blocks" in message:
        blocks = message["blocks"]
        if not isinstance(blocks, list) or len(blocks) > 50:
            return problems + ["blocks must be a list of at most 50"]
        for block in blocks:
            kind = block.get("type")
            if kind not in SLACK_BLOCKS:
                problems.append(f"unknown block type {kind!r}")
            if kind == "header" and (block["text"].get("type") != "plain_text" or len(block["text"]["text"]) > 150):
                problems.append("header text must be plain_text of at most 150 characters")
            if kind == "section":
                if "text" not in block and "fields" not in block:
                    problems.append("section without text or fields")
                if "text" in block and (block["text"].get("type") not in ("mrkdwn", "plain_text") or not 0 < len(block["text"]["text"]) <= 3000):
                    problems.append("section text must be 1..3000 characters")
                if len(block.get("fields", [])) > 10 or any(len(f["text"]) > 2000 for f in block.get("fields", [])):
                    problems.append("section fields: at most 10 of at most 2000 characters")
    return problems


class HttpReceiver:
    """A loopback HTTP server that validates each POST with check(body, headers) -> problems."""

    def __init__(self, kind: str, check: Any, accept_status: int, accept_body: Any) -> None:
        self.kind = kind
        self.check = check
        self.accept_status = accept_status
        self.accept_body = accept_body
        self.received: list[dict[str, Any]] = []
        self.rejected: list[list[str]] = []
        self.attempts = 0
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.kind}"

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.attempts += 1
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        body = None
                    problems = ["body is not JSON"] if body is None else receiver.check(body, self.headers, raw)
                    if problems:
                        receiver.rejected.append(problems)
                    else:
                        receiver.received.append({"body": body, "headers": dict(self.headers), "raw": raw})
                status, answer = (400, {"status": "invalid event", "errors": problems}) if problems else (
                    receiver.accept_status, receiver.accept_body(body))
                data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until start() binds it again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self) -> list[Any]:
        return [item["body"] for item in self.received]


def pagerduty_receiver(routing_key: str) -> HttpReceiver:
    return HttpReceiver("pagerduty", lambda body, headers, raw: pagerduty_problems(body, routing_key), 202,
                        lambda body: {"status": "success", "message": "Event processed", "dedup_key": body.get("dedup_key", "")})


def slack_receiver() -> HttpReceiver:
    return HttpReceiver("slack", lambda body, headers, raw: slack_problems(body), 200, lambda body: "ok")


def webhook_receiver(secret: str) -> HttpReceiver:
    def check(body: Any, headers: Any, raw: bytes) -> list[str]:
        stamp = headers.get("X-Spanledger-Timestamp", "")
        want = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        problems = [] if hmac.compare_digest(headers.get("X-Spanledger-Signature", ""), want) else ["bad signature"]
        if not headers.get("Content-Type", "").startswith("application/json"):
            problems.append("not application/json")
        return problems

    return HttpReceiver("webhook", check, 200, lambda body: {"ok": True})


class SmtpReceiver:
    """aiosmtpd on a free loopback port; messages parsed as email.message.EmailMessage. With tls (an
    ssl.SSLContext) and login ((user, password)) it requires STARTTLS and then that login before mail."""

    def __init__(self, tls: Any = None, login: tuple[str, str] | None = None) -> None:
        self.messages: list[Any] = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                receiver.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
                return "250 OK"

        self.logins: list[str] = []
        extra: dict[str, Any] = {}
        if tls is not None:
            extra.update(tls_context=tls, require_starttls=True)
        if login is not None:
            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
                from aiosmtpd.smtp import AuthResult

                ok = (data.login.decode(), data.password.decode()) == login
                if ok:
                    receiver.logins.append(data.login.decode())
                return AuthResult(success=ok)

            extra.update(authenticator=authenticate, auth_required=True)
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **extra)

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
