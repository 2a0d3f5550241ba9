"""How the jobs commands reach the jobs: through a running server's JSON API when one answers at --url
(embedded chDB allows one process per data directory), else by opening the store directly."""

from __future__ import annotations

from typing import Any

import httpx

from jobs.runner import JobRunner
from spanledger import jobs_ops
from spanledger.settings import Settings


class DoorError(Exception):
    """The request failed; the message is the server's or the operation's own."""


class HttpDoor:
    def __init__(self, url: str, api_key: str = "") -> None:
        self.url = url.rstrip("/")
        self.client = httpx.Client(timeout=None, headers=bearer(api_key))

    def call(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        path = {"run": "/api/jobs/run", "span_range": "/api/jobs/span-range", "metrics": "/api/metrics",
                "top_sessions": "/api/reports/top-sessions", "alerts_check": "/api/alerts/check",
                "alerts_states": "/api/alerts/states", "alerts_history": "/api/alerts/history"}[name]
        response = self.client.get(self.url + path) if body is None else self.client.post(self.url + path, json=body)
        if response.status_code != 200:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise DoorError(str(detail))
        return response.json()

    def close(self) -> None:
        self.client.close()


class LocalDoor:
    def __init__(self, settings: Settings) -> None:
        from store import open_store

        self.store = open_store(settings)
        self.runner = JobRunner(self.store, settings)

    def call(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if name.startswith("alerts_"):
            return self._alerts(name, body or {})
        operation = {"run": jobs_ops.run_job, "span_range": jobs_ops.span_range, "metrics": jobs_ops.metrics,
                     "top_sessions": jobs_ops.top_sessions}[name]
        try:
            return operation(self.runner, body) if body is not None else operation(self.runner)  # type: ignore[operator]
        except jobs_ops.OperationError as exc:
            raise DoorError(str(exc)) from None

    def _alerts(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        from spanledger import alerts_ops

        operation = {"alerts_check": alerts_ops.check, "alerts_states": alerts_ops.states,
                     "alerts_history": alerts_ops.recent_history}[name]
        try:
            return operation(self.store, self.runner.settings, body)
        except alerts_ops.AlertsOperationError as exc:
            raise DoorError(str(exc)) from None

    def close(self) -> None:
        self.store.close()


def bearer(api_key: str) -> dict[str, str]:
    """The header a CLI request carries its key in (SPANLEDGER_API_KEY); none without a key."""
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def server_answers(url: str) -> bool:
    try:
        return httpx.get(url.rstrip("/") + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
