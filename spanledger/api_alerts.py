"""JSON API of the alerts: dry-run check, current states, history. The CLI uses it when a server owns the store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException

from spanledger import alerts_ops
from spanledger.settings import Settings
from store import StoreError


def alerts_router(store: Any, settings: Settings) -> APIRouter:
    router = APIRouter()

    def answer(operation: Any, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return operation(store, settings, body)
        except alerts_ops.AlertsOperationError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        except StoreError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    @router.post("/api/alerts/check")
    def check(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(alerts_ops.check, body)

    @router.post("/api/alerts/states")
    def states(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(alerts_ops.states, body)

    @router.post("/api/alerts/history")
    def history(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(alerts_ops.recent_history, body)

    return router
