"""The dashboard pages, in navigation order. Each module has PATH, NAME and render(context, view, ...) -> layout;
optionally PATH_TEMPLATE and PATH_VALUES (values taken from the path), NEEDS_DATA (False: render even
before any rollup exists) and register(app, context) for its own callbacks."""

from dashboards.pages import alerts, cost, overview, session, sessions, tools, versions, weekly

PAGES = (overview, versions, cost, weekly, tools, sessions, session, alerts)
