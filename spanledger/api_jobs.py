"""JSON API of the jobs, next to /api/query: run a job (one backfill chunk at a time, so the CLI can show
progress), read metrics and weekly reviews. The CLI uses it when a server owns the store.

Running jobs is for admins; metrics and reviews are read by viewers of their own tenant only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request

from jobs.runner import JobRunner
from spanledger import jobs_ops
from spanledger.access import Principal
from spanledger.api_access import Caller
from store import StoreError


def jobs_router(runner: JobRunner, caller: Caller, reader: JobRunner | None = None) -> APIRouter:
    """reader: the runner metrics and reviews are read through (the store's query limits applied)."""
    router = APIRouter()
    reader = reader or runner

    def tenant_read(who: Principal, body: dict[str, Any]) -> dict[str, Any]:
        who.require_reader()
        return {**body, "tenant": who.tenant_to_read(body.get("tenant"))}

    def answer(operation: Any, body: dict[str, Any] | None = None, through: JobRunner = runner) -> dict[str, Any]:
        try:
            return operation(through, body) if body is not None else operation(through)
        except jobs_ops.OperationError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        except StoreError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    @router.post("/api/jobs/run")
    def run(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        caller(request).require_admin()
        return answer(jobs_ops.run_job, body)

    @router.get("/api/jobs/span-range")
    def span_range(request: Request) -> dict[str, Any]:
        caller(request).require_admin()
        return answer(jobs_ops.span_range)

    @router.post("/api/metrics")
    def metrics(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(jobs_ops.metrics, tenant_read(caller(request), body), reader)

    @router.post("/api/reports/top-sessions")
    def top_sessions(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(jobs_ops.top_sessions, tenant_read(caller(request), body), reader)

    return router
