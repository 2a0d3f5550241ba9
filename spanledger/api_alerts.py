"""JSON API of the alerts: dry-run check, current states, history. The CLI uses it when a server owns the store.

Admin-only: rules, states and notifications span every tenant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request

from spanledger import alerts_ops
from spanledger.api_access import Caller
from spanledger.settings import Settings
from store import StoreError


def alerts_router(store: Any, settings: Settings, caller: Caller) -> APIRouter:
    router = APIRouter()

    def answer(operation: Any, body: dict[str, Any], request: Request) -> dict[str, Any]:
        caller(request).require_admin()
        try:
            return operation(store, settings, body)
        except alerts_ops.AlertsOperationError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        except StoreError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    @router.post("/api/alerts/check")
    def check(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(alerts_ops.check, body, request)

    @router.post("/api/alerts/states")
    def states(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(alerts_ops.states, body, request)

    @router.post("/api/alerts/history")
    def history(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(alerts_ops.recent_history, body, request)

    return router
