"""Who looks at the dashboards: a login form for local users (a signed session cookie), a trusted reverse
proxy's user header, or an API key; anonymous (an admin) only while auth is optional. Every request of the
UI's Flask server passes here first; pages read through `reader_view`, which pins a viewer to their tenant.

It never shows one tenant's names to another: a viewer's tenant list is their own tenant.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, redirect, request, session
from werkzeug.wrappers import Response

from dashboards.filters import View
from spanledger.access import ANONYMOUS, Principal, Unauthenticated

_OPEN_PATHS = ("/login", "/logout", "/assets/", "/_favicon.ico", "/healthz")

_FORM = """<!doctype html><html><head><meta charset="utf-8"><title>Sign in · spanledger</title>
<link rel="stylesheet" href="/assets/style.css"></head><body class="login-page"><main class="login">
<h1>spanledger</h1>{problem}<form method="post" action="/login">
<label>User <input id="login-user" name="username" autocomplete="username" required></label>
<label>Password <input id="login-password" name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{next}"><button id="login-submit" type="submit">Sign in</button></form></main></body></html>"""


def install_login(server: Flask, directory: Any, secret: str, tls: bool) -> None:
    server.secret_key = secret or secrets.token_hex(32)
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=tls,
                         SESSION_COOKIE_NAME="spanledger_session")

    @server.before_request
    def identify() -> Any:
        g.principal = ANONYMOUS
        if directory is None or request.path.startswith(_OPEN_PATHS):
            return None
        try:
            g.principal = directory.principal({key.lower(): value for key, value in request.headers.items()},
                                              request.remote_addr, session.get("user"))
        except Unauthenticated as exc:
            session.pop("user", None)
            if request.method == "GET" and not request.path.startswith(("/_dash", "/export")):
                return redirect("/login?next=" + _local(request.full_path))
            return Response(str(exc), status=401, mimetype="text/plain")
        return None

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = _local(request.values.get("next", "/"))
        if request.method == "GET":
            return _form("", target)
        try:
            who = directory.login(request.form.get("username", ""), request.form.get("password", ""))
        except Unauthenticated as exc:
            return _form(str(exc), target, 401)
        session.clear()
        session["user"] = who.name
        return redirect(target)

    @server.route("/logout")
    def logout() -> Any:
        session.clear()
        return redirect("/login")


def principal() -> Principal:
    """Who the current request is (anonymous outside a request, as in tests that call pages directly)."""
    try:
        return g.get("principal", ANONYMOUS)
    except RuntimeError:
        return ANONYMOUS


def act_as(who: Principal) -> None:
    """Makes the current (e.g. a background render's) request context act for who."""
    g.principal = who


def reader_view(view: View) -> View:
    """The view with its tenant pinned to what the caller may read: a viewer always sees their own tenant."""
    who = principal()
    return view if who.is_admin else replace(view, tenant=who.tenant)


def visible_tenants(tenants: list[str]) -> list[str]:
    who = principal()
    return tenants if who.is_admin else [who.tenant]


def readable_tenant(asked: str | None) -> str:
    who = principal()
    return (asked or "default") if who.is_admin else who.tenant


def _local(target: str) -> str:
    """Only a path on this server: a login must not redirect elsewhere."""
    parts = urlsplit(target or "/")
    # Browsers read '\' as '/', so '/\\host' would leave the site; control characters have no business here either.
    if (parts.scheme or parts.netloc or not (parts.path or "/").startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(char) < 32 for char in target)):
        return "/"
    return target.rstrip("?") or "/"


def _form(problem: str, target: str, status: int = 200) -> Response:
    notice = f'<p class="notice notice-error" id="login-problem">{html.escape(problem)}</p>' if problem else ""
    return Response(_FORM.format(problem=notice, next=html.escape(target, quote=True)), status=status, mimetype="text/html")
