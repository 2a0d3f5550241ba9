"""Sends the dashboards' scripts and styles gzip-compressed: the 2.4 MB of JavaScript a first visit loads
travel as 0.7 MB, which is what decides how soon a page shows over a real network.

Only static files (Dash's component bundles and assets/) are compressed. Each is compressed once and kept
in memory, keyed by its URL, which carries a version or modification stamp, so a changed file gets a new
entry. It runs after the request passed the login check, like the file itself.
"""

from __future__ import annotations

import gzip
import threading

from flask import Flask, Response, request

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
COMPRESSIBLE_TYPES = ("application/javascript", "text/javascript", "text/css", "application/json", "image/svg+xml")
MIN_BYTES = 1024
MAX_ENTRIES = 256


def install_compression(server: Flask) -> None:
    cache: dict[str, bytes] = {}
    lock = threading.Lock()

    @server.after_request
    def compress(response: Response) -> Response:
        if (request.method != "GET" or response.status_code != 200 or not request.path.startswith(STATIC_PREFIXES)
                or "gzip" not in request.headers.get("Accept-Encoding", "") or "Content-Encoding" in response.headers
                or response.mimetype not in COMPRESSIBLE_TYPES):
            return response
        key = request.full_path
        body = cache.get(key)
        response.direct_passthrough = False
        if body is None:
            data = response.get_data()
            if len(data) < MIN_BYTES:
                return response
            body = gzip.compress(data, 6, mtime=0)
            with lock:
                if len(cache) >= MAX_ENTRIES:
                    cache.pop(next(iter(cache)))
                cache[key] = body
        else:
            close = getattr(response.response, "close", None)  # the file send_file opened
            if close is not None:
                close()
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        etag, weak = response.get_etag()
        if etag and not weak:  # the compressed bytes differ from the file the tag names
            response.set_etag(etag, weak=True)
        return response
