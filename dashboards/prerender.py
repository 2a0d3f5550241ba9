"""Starts a page's render when the browser asks for the page itself, so the server's queries run while the
browser is still loading and starting its scripts (about half a second), and the page's routing callback,
which comes after that, takes the finished render instead of starting one.

A render is keyed by the page, its parameters and who asked; it is taken at most once and kept at most
ttl seconds. One render runs at a time (the store runs one query at a time anyway); a page asked for while
another is rendering is simply rendered by its callback as before. Never shares a render between callers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.started = time.monotonic()


class Prerender:
    def __init__(self, ttl: float = 10.0, max_entries: int = 16) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        self._renders: dict[Hashable, _Pending] = {}

    def start(self, key: Hashable, render: Callable[[], Any]) -> bool:
        """Renders in the background unless a render is already running; False when it did not start."""
        if not self._busy.acquire(blocking=False):
            return False
        pending = _Pending()
        with self._lock:
            self._expire()
            self._renders[key] = pending
        threading.Thread(target=self._run, args=(pending, render), name="ui-prerender", daemon=True).start()
        return True

    def take(self, key: Hashable, wait: float = 30.0) -> Any | None:
        """The render started for key (waiting for it to finish), or None when there is none."""
        with self._lock:
            pending = self._renders.pop(key, None)
        if pending is None or time.monotonic() - pending.started > self.ttl:
            return None
        if not pending.done.wait(wait):
            return None
        return pending.result

    def _run(self, pending: _Pending, render: Callable[[], Any]) -> None:
        try:
            pending.result = render()
        except Exception:  # the callback renders again and shows the error as usual
            log.debug("prerender failed", exc_info=True)
            pending.result = None
        finally:
            pending.done.set()
            self._busy.release()

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [key for key, pending in self._renders.items() if now - pending.started > self.ttl]:
            del self._renders[key]
        while len(self._renders) >= self.max_entries:
            del self._renders[next(iter(self._renders))]


def page_key(module_name: str, values: dict[str, Any], who: Hashable) -> Hashable:
    """What makes two renders the same: the page, its parameters (the refresh tick aside) and the caller."""
    return module_name, tuple(sorted((name, str(value)) for name, value in values.items() if name != "tick")), who


def install_prerender(app: Any, prerender: Prerender, who: Callable[[], Any], as_caller: Callable[[Any], None]) -> None:
    """Starts the render of a page when its own URL is requested (a navigation, not a callback or an asset).

    who() names the caller of the current request; as_caller(caller) makes the render thread act for it."""
    from dash._pages import _parse_query_string, _path_to_page
    from flask import copy_current_request_context, request

    @app.server.before_request
    def start_page_render() -> None:
        if request.method != "GET" or request.path.startswith(("/_", "/assets", "/export", "/login", "/logout")):
            return
        page, path_values = _path_to_page(app.strip_relative_path(request.path))
        render_now = getattr(page.get("layout"), "render_now", None) if page else None
        if render_now is None:
            return
        values = {**(path_values or {}), **_parse_query_string("?" + request.query_string.decode("latin-1"))}
        caller = who()

        @copy_current_request_context
        def render() -> Any:
            as_caller(caller)
            return render_now(**dict(values))

        prerender.start(page_key(page["module"], values, caller), render)
