"""The JSON API next to OTLP/HTTP: read-only queries for the CLI, health, readiness and metrics.

/api/query needs a viewer or admin; a viewer's query sees only its own tenant's rows (store/read_only.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Body, HTTPException, Request, Response

from ingest.metrics import IngestMetrics
from spanledger.api_access import Caller
from spanledger.scrape_figures import RedactionCounts
from spanledger.tables import arrow_rows
from store import Store, StoreError
from store.store import QueryRefused


def api_router(store: Store, metrics: IngestMetrics, ready: dict[str, bool], caller: Caller) -> APIRouter:
    router = APIRouter()

    @router.post("/api/query")
    def query(request: Request, sql: str = Body(..., embed=True), max_rows: int | None = Body(None, embed=True)) -> dict:
        who = caller(request)
        who.require_reader()
        try:
            columns, rows = arrow_rows(store.read_only_query(sql, max_rows, who.row_tenant))
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

    redactions = RedactionCounts(store)

    @router.get("/metrics")
    def prometheus() -> Response:
        return Response(metrics.render(redactions.rows()), media_type="text/plain; version=0.0.4")

    return router
