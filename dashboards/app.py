"""The dashboards' Dash app: a multi-page app (Dash Pages) over one store, built by create_app.

Every page is rendered on the server from the URL: the router hands each page's layout function the
query string (the global filters and the page's own parameters) and the auto-refresh tick. Controls
write to the URL (one callback for all of them), so any view can be shared and reloaded; pages hold
layout and callbacks only and read through dashboards/data.py and sessions_data.py. One app per process:
Dash Pages keeps its page registry in the process.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboards import components, data
from dashboards.components import Endpoints
from dashboards.compression import install_compression
from dashboards.exports import register_exports
from dashboards.filters import parse_query_string, parse_view
from dashboards.login import act_as, install_login, principal, reader_view, visible_tenants
from dashboards.pages import PAGES
from dashboards.prerender import Prerender, install_prerender, page_key
from spanledger.settings import Settings

log = logging.getLogger(__name__)

# Changing one of these keys drops the keys that depend on it (a version of another agent means nothing).
_DEPENDENT = {"agent": ("version", "baseline", "candidate"), "tenant": ("agent", "version", "baseline", "candidate")}


@dataclass
class PageContext:
    """What a page's layout and callbacks may use."""

    store: Any
    settings: Settings
    endpoints: Endpoints
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))


def create_app(store: Any, settings: Settings, endpoints: Endpoints | None = None, directory: Any = None) -> Dash:
    """directory: the spanledger.access.Directory requests are identified by (None: everyone is an admin)."""
    _drop_babel_polyfill()
    context = PageContext(store, settings, endpoints or Endpoints())
    app = Dash(__name__, use_pages=True, pages_folder="", assets_folder=str(Path(__file__).parent / "assets"),
               suppress_callback_exceptions=True, title="spanledger", update_title=None,  # type: ignore[arg-type]
               routing_callback_inputs={"tick": Input("refresh-timer", "n_intervals")})
    # Every page draws dropdowns and figures: their code loads with the page rather than on first use, one
    # round trip and one extra render later (Dash loads dcc's components lazily by default).
    for chunk in ("dcc/async-dropdown.js", "dcc/async-graph.js"):
        app.scripts.append_script({"relative_package_path": chunk, "namespace": "dash"})
    # Assets are linked with their mtime in the URL (?m=...): browsers may keep them, without revalidating.
    app.server.config["SEND_FILE_MAX_AGE_DEFAULT"] = 365 * 24 * 3600
    install_login(app.server, directory, settings.session_secret, settings.tls)
    install_compression(app.server)
    dash.page_registry.clear()
    prerender = Prerender()
    for module in PAGES:
        dash.register_page(module.__name__, path=module.PATH, path_template=getattr(module, "PATH_TEMPLATE", None),
                           name=module.NAME, title=f"{module.NAME} · spanledger", layout=_layout(context, module, prerender))
        if hasattr(module, "register"):
            module.register(app, context)
    app.layout = html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Interval(id="refresh-timer", interval=60_000, disabled=True),
        dcc.Loading(dash.page_container, id="page-loading", type="dot", delay_show=400, overlay_style={"visibility": "visible"},
                    target_components={"_pages_content": "children"}),  # type: ignore[arg-type]
    ], className="app")
    _register_url_callbacks(app)
    register_exports(app.server, context)
    install_prerender(app, prerender, principal, act_as)
    return app


def _drop_babel_polyfill() -> None:
    """Dash still sends @babel/polyfill (core-js 2, for browsers older than ES2017) ahead of React; evaluating
    it costs about 70 ms of every first render. All that Dash's own bundles still take from it is the global
    regeneratorRuntime, which assets/regenerator-runtime.js (MIT, from npm regenerator-runtime 0.14.1) provides."""
    from dash import _dash_renderer

    for dependency in _dash_renderer._js_dist_dependencies:
        for key in ("external_url", "relative_package_path"):
            for mode, paths in dependency[key].items():
                dependency[key][mode] = [path for path in paths if "babel/polyfill" not in path and "deps/polyfill" not in path]


def _layout(context: PageContext, module: Any, prerender: Prerender) -> Callable[..., Any]:
    def layout(tick: int | None = None, **values: Any) -> Any:
        """The routing callback's render: the one started when the page's URL was requested, if any."""
        ready = prerender.take(page_key(module.__name__, values, principal()))
        return ready if ready is not None else render_now(**values)

    def render_now(**values: Any) -> Any:
        started = time.perf_counter()
        try:
            return _render(values)
        finally:
            log.debug("rendered %s in %.3f s", module.NAME, time.perf_counter() - started)

    def _render(values: dict[str, Any]) -> Any:
        path_values = {key: values.pop(key) for key in getattr(module, "PATH_VALUES", ())}
        view = reader_view(parse_view(values, context.clock()))
        path = module.PATH if not path_values else module.PATH_TEMPLATE
        try:
            options = data.filter_options(context.store, view)
            tenants = visible_tenants(data.tenants(context.store))
            top = components.header(view, module.PATH, options, tenants)
            if getattr(module, "NEEDS_DATA", True):
                state = data.store_state(context.store, view.tenant)
                if not state.has_rollups:
                    body = components.empty_state(state.has_spans, context.endpoints, context.settings.jobs_interval_seconds)
                    return html.Div([top, html.Main(body, className="main")], className=_page_class(module))
            body = module.render(context, view, **path_values)
        except Exception as exc:  # a page that cannot load says so and why, the rest of the app keeps working
            log.exception("page %s failed to render", path)
            return html.Div(components.notice(f"This page could not be loaded: {exc}", "error"), className="view")
        ready: dict[str, Any] = {"data-ready": "1"}  # what tests and the bench wait for
        return html.Div([top, html.Main(body, className="main", **ready)], className=_page_class(module))

    layout.render_now = render_now  # type: ignore[attr-defined]  # what the prerender runs
    return layout


def _page_class(module: Any) -> str:
    return "view page-" + module.NAME.lower().replace(" ", "-")


def _register_url_callbacks(app: Dash) -> None:
    @app.callback(Output("url", "search"), Input({"type": "param", "key": ALL}, "value"), State("url", "search"),
                  prevent_initial_call=True)
    def write_params(values: list[Any], search: str | None) -> Any:
        """A control changed: its value goes into the URL, which renders the page again."""
        if len(ctx.triggered) != 1 or not isinstance(ctx.triggered_id, dict):
            return no_update  # controls appearing with a new page, not someone changing one
        key = ctx.triggered_id["key"]
        value = ctx.triggered[0]["value"]
        current = parse_query_string(search)
        updated = dict(current)
        if key == "range":
            if value == "custom":
                return no_update
            updated.pop("from", None)
            updated.pop("to", None)
        for dependent in _DEPENDENT.get(key, ()):
            updated.pop(dependent, None)
        updated[key] = "" if value is None else str(value)
        now = dt.datetime.now(dt.UTC)
        new = parse_view(updated, now).query()
        return new if new != parse_view(current, now).query() else no_update

    @app.callback(Output("refresh-timer", "interval"), Output("refresh-timer", "disabled"), Input("url", "search"))
    def set_refresh(search: str | None) -> tuple[int, bool]:
        seconds = parse_view(parse_query_string(search), dt.datetime.now(dt.UTC)).refresh
        return max(seconds, 1) * 1000, seconds <= 0

