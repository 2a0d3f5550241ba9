"""JSON API of the jobs, next to /api/query: run a job (one backfill chunk at a time, so the CLI can show
progress), read metrics and weekly reviews. The CLI uses it when a server owns the store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException

from jobs.runner import JobRunner
from spanledger import jobs_ops
from store import StoreError


def jobs_router(runner: JobRunner) -> APIRouter:
    router = APIRouter()

    def answer(operation: Any, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return operation(runner, body) if body is not None else operation(runner)
        except jobs_ops.OperationError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        except StoreError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    @router.post("/api/jobs/run")
    def run(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(jobs_ops.run_job, body)

    @router.get("/api/jobs/span-range")
    def span_range() -> dict[str, Any]:
        return answer(jobs_ops.span_range)

    @router.post("/api/metrics")
    def metrics(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(jobs_ops.metrics, body)

    @router.post("/api/reports/top-sessions")
    def top_sessions(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return answer(jobs_ops.top_sessions, body)

    return router
