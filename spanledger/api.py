"""The JSON API next to OTLP/HTTP: read-only queries for the CLI, health, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Body, HTTPException, Response

from ingest.metrics import IngestMetrics
from spanledger.tables import arrow_rows
from store import Store, StoreError
from store.store import QueryRefused


def api_router(store: Store, metrics: IngestMetrics, ready: dict[str, bool]) -> APIRouter:
    router = APIRouter()

    @router.post("/api/query")
    def query(sql: str = Body(..., embed=True), max_rows: int | None = Body(None, embed=True)) -> dict:
        try:
            columns, rows = arrow_rows(store.read_only_query(sql, max_rows))
        except QueryRefused as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        except StoreError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return {"columns": columns, "rows": rows}

    @router.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz")
    def readyz(response: Response) -> dict:
        if not ready.get("ready"):
            response.status_code = 503
            return {"status": "starting"}
        return {"status": "ready"}

    @router.get("/metrics")
    def prometheus() -> Response:
        try:
            redactions = store.frame("metrics_redactions").rows()
        except StoreError:  # the ingest figures matter most when the store is down
            redactions = []
        return Response(metrics.render(redactions), media_type="text/plain; version=0.0.4")

    return router
