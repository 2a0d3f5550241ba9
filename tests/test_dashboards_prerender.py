"""The page prerender: a render started at navigation is handed to that page's callback once, to the same
caller only (the browser side is in test_dashboards_browser.py)."""

from __future__ import annotations

import threading
import time

from dashboards.prerender import Prerender, page_key
from spanledger.access import Principal


def test_a_render_is_taken_once_by_the_same_key() -> None:
    prerender = Prerender()
    release = threading.Event()
    assert prerender.start("page", lambda: (release.wait(5), "rendered")[1])
    assert not prerender.start("other", lambda: "never")  # one render at a time
    release.set()
    assert prerender.take("page") == "rendered"  # waits for it
    assert prerender.take("page") is None  # taken: the next callback renders anew
    assert prerender.take("other") is None


def test_a_stale_render_is_not_used() -> None:
    prerender = Prerender(ttl=0.05)
    prerender.start("page", lambda: "old")
    time.sleep(0.1)
    assert prerender.take("page") is None


def test_a_failed_render_leaves_the_callback_to_render() -> None:
    prerender = Prerender()
    prerender.start("page", lambda: 1 / 0)
    assert prerender.take("page") is None
    assert prerender.start("page", lambda: "again")  # the worker is free again


def test_keys_keep_callers_and_parameters_apart() -> None:
    viewer = Principal("v", "viewer", "acme")
    admin = Principal("a", "admin", "default")
    values = {"tenant": "acme", "range": "24h"}
    assert page_key("tools", values, viewer) != page_key("tools", values, admin)
    assert page_key("tools", values, viewer) != page_key("tools", {**values, "agent": "x"}, viewer)
    assert page_key("tools", values, viewer) != page_key("cost", values, viewer)
    assert page_key("tools", {**values, "tick": 3}, viewer) == page_key("tools", values, viewer)
