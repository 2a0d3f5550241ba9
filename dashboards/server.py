"""Serves the dashboards: the Dash app's Flask server under werkzeug on its own thread, started and
stopped by spanledger/service.py. Port 0 takes a free port (tests); `port` says which one it got."""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from dashboards.app import create_app
from dashboards.components import Endpoints
from spanledger.settings import Settings

log = logging.getLogger(__name__)


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request (a dashboard makes many); errors are still logged."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class UiServer:
    def __init__(self, store: Any, settings: Settings, endpoints: Endpoints, directory: Any = None) -> None:
        self.app = create_app(store, settings, endpoints, directory)
        self.tls = (str(settings.tls_cert_file), str(settings.tls_key_file)) if settings.tls else None
        self.host = settings.host
        self.requested_port = settings.ui_port
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            self._server = make_server(self.host, self.requested_port, self.app.server, threaded=True,
                                       request_handler=_QuietRequestHandler, ssl_context=self.tls)
        except OSError as exc:
            raise OSError(f"cannot start the dashboard UI on {self.host}:{self.requested_port}: {exc}") from exc
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="ui", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def start_ui(store: Any, settings: Settings, endpoints: Endpoints, directory: Any = None) -> UiServer:
    server = UiServer(store, settings, endpoints, directory)
    server.start()
    return server
