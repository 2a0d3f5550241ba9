"""Sends one notification to one channel over the network, with the secrets from the settings.

Raises DeliveryError, retryable or not: connection errors, timeouts, 408, 429 and 5xx are retried by the
outbox; other 4xx answers mean the request itself is wrong and retrying cannot help. Messages never contain
a secret (routing key, webhook URL, password).
"""

from __future__ import annotations

import smtplib
import ssl
import time
from typing import Any

import httpx

from alerts.channels import email_message, pagerduty_event, slack_message, webhook_request
from spanledger.settings import Settings


class DeliveryError(Exception):
    def __init__(self, channel: str, message: str, retryable: bool) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.retryable = retryable


def configured_channels(settings: Settings) -> tuple[str, ...]:
    """The channels whose settings are complete enough to send."""
    out = []
    if settings.alert_pagerduty_routing_key is not None:
        out.append("pagerduty")
    if settings.alert_slack_webhook_url is not None:
        out.append("slack")
    if settings.alert_webhook_url:
        out.append("webhook")
    if settings.alert_smtp_host and settings.alert_email_to:
        out.append("email")
    return tuple(out)


def send(settings: Settings, channel: str, note: dict[str, Any]) -> None:
    if channel not in configured_channels(settings):
        raise DeliveryError(channel, "not configured", retryable=False)
    if channel == "pagerduty":
        key = settings.alert_pagerduty_routing_key.get_secret_value()  # type: ignore[union-attr]
        _post(settings, channel, settings.alert_pagerduty_url, pagerduty_event(note, key))
    elif channel == "slack":
        _post(settings, channel, settings.alert_slack_webhook_url.get_secret_value(), slack_message(note))  # type: ignore[union-attr]
    elif channel == "webhook":
        secret = settings.alert_webhook_secret.get_secret_value() if settings.alert_webhook_secret else ""
        body, headers = webhook_request(note, secret, int(time.time()))
        _post(settings, channel, settings.alert_webhook_url, None, body, headers)
    elif channel == "email":
        _send_email(settings, note)
    else:
        raise DeliveryError(channel, "unknown channel", retryable=False)


def _post(settings: Settings, channel: str, url: str, payload: dict[str, Any] | None, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> None:
    try:
        response = httpx.post(url, json=payload, content=body, headers=headers, timeout=settings.alert_http_timeout_seconds)
    except httpx.HTTPError as exc:
        raise DeliveryError(channel, f"{type(exc).__name__}: {exc}", retryable=True) from None
    if 200 <= response.status_code < 300:
        return
    retryable = response.status_code in (408, 429) or response.status_code >= 500
    raise DeliveryError(channel, f"HTTP {response.status_code}: {response.text[:200]}", retryable)


def _send_email(settings: Settings, note: dict[str, Any]) -> None:
    message = email_message(note, settings.alert_email_from, list(settings.alert_email_to))
    try:
        with smtplib.SMTP(settings.alert_smtp_host, settings.alert_smtp_port, timeout=settings.alert_http_timeout_seconds) as smtp:
            if settings.alert_smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.alert_smtp_username:
                password = settings.alert_smtp_password.get_secret_value() if settings.alert_smtp_password else ""
                smtp.login(settings.alert_smtp_username, password)
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError("email", f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=400 <= exc.smtp_code < 500) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError("email", f"recipients refused: {sorted(exc.recipients)}", retryable=False) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError("email", f"{type(exc).__name__}: {exc}", retryable=True) from None
