"""Who calls the JSON API, and the admin-only API of keys and users (`spanledger keys`, `spanledger users`).

Every /api/ route takes a Principal from `caller`: a missing or invalid credential is 401 when auth is
required, a role that may not do something is 403. /healthz, /readyz and /metrics stay open (no tenant data).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from spanledger.access import AccessError, Directory, Forbidden, Principal, Unauthenticated

Caller = Callable[[Request], Principal]


def caller_of(directory: Directory) -> Caller:
    def caller(request: Request) -> Principal:
        try:
            return directory.principal(request.headers, request.client.host if request.client else None)
        except Unauthenticated as exc:
            raise HTTPException(status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}) from None

    return caller


def install_access_errors(app: FastAPI) -> None:
    async def forbidden(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(AccessError, invalid)


def access_router(directory: Directory, caller: Caller) -> APIRouter:
    router = APIRouter()

    @router.get("/api/keys")
    def list_keys(request: Request) -> dict[str, Any]:
        caller(request).require_admin()
        return {"keys": directory.list_keys()}

    @router.post("/api/keys")
    def create_key(request: Request, tenant: str = Body(..., embed=True), role: str = Body("ingest", embed=True),
                   name: str = Body("", embed=True)) -> dict[str, Any]:
        caller(request).require_admin()
        return directory.create_key(tenant, role, name)

    @router.post("/api/keys/{key_id}/revoke")
    def revoke_key(key_id: str, request: Request) -> dict[str, Any]:
        caller(request).require_admin()
        return directory.revoke_key(key_id)

    @router.get("/api/users")
    def list_users(request: Request) -> dict[str, Any]:
        caller(request).require_admin()
        return {"users": directory.list_users()}

    @router.post("/api/users")
    def create_user(request: Request, username: str = Body(..., embed=True), password: str = Body("", embed=True),
                    role: str = Body("viewer", embed=True), tenant: str = Body("default", embed=True)) -> dict[str, Any]:
        caller(request).require_admin()
        return directory.create_user(username, password, role, tenant)

    @router.delete("/api/users/{username}")
    def delete_user(username: str, request: Request) -> dict[str, Any]:
        caller(request).require_admin()
        return directory.delete_user(username)

    return router
