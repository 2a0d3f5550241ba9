"""The dashboards in a real headless Chromium: every page loads with data and without console errors,
filters change the figures, a weekly top-10 row opens that session's waterfall with its spans, the empty
state explains the first trace, auto-refresh shows new sessions. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobs.time_ranges import iso_week, param
from tests.conftest import ARTIFACTS, rows
from tests.dashboard_fleet import compute_jobs, send_sessions

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Rendered: the page's main content is in (or the empty state / an error), every figure drawn, nothing loading.
READY = """() => { if (!document.querySelector("main[data-ready='1'], #empty-state, .notice.error")) return false;
  for (const g of document.querySelectorAll('.graph')) if (!g.querySelector('.main-svg')) return false;
  return !document.querySelector('[data-dash-is-loading="true"]'); }"""
TRACE_NAMES = "id => Array.from(document.getElementById(id).querySelector('.js-plotly-plot').data, t => t.name)"


def chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium for the browser tests")
        pytest.skip("no chromium on this machine (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Page:
    """One browser tab that records console errors and uncaught exceptions."""

    def __init__(self, browser: Any, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.tab = self.context.new_page()
        self.base = base
        self.problems: list[str] = []
        self.tab.on("console", lambda message: self.problems.append(message.text) if message.type == "error" else None)
        self.tab.on("pageerror", lambda error: self.problems.append(str(error)))

    def open(self, path: str) -> Any:
        self.tab.goto(self.base + path)
        return self.ready()

    def ready(self) -> Any:
        self.tab.wait_for_function(READY, timeout=30_000, polling=50)
        return self.tab

    def keys(self, table: str) -> list[str]:
        return [row.get_attribute("data-key") for row in self.tab.locator(f"#{table} tbody tr").all()]

    def column(self, table: str, index: int) -> list[str]:
        return self.tab.locator(f"#{table} tbody tr td:nth-child({index})").all_inner_texts()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.tab.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


@pytest.fixture
def page(browser: Any, ui_url: str) -> Iterator[Page]:
    opened = Page(browser, ui_url)
    yield opened
    opened.context.close()
    assert opened.problems == [], f"browser console errors: {opened.problems}"


def test_every_page_loads_with_data(page: Page, dashboard_fleet: Any) -> None:
    support, travel = dashboard_fleet.agent("support-bot"), dashboard_fleet.agent("travel-planner")
    tab = page.open("/")
    assert {support, travel} <= set(page.column("overview-table", 1))
    assert support in tab.evaluate(TRACE_NAMES, "overview-trends")
    page.screenshot("overview")

    tab = page.open(f"/versions?agent={support}")
    assert "Gate:" in tab.locator(".notice").first.inner_text()
    metrics = page.column("versions-table", 1)
    assert {"success rate", "session latency p95", "cost per session p95"} <= set(metrics)
    page.screenshot("versions")

    tab = page.open(f"/cost?agent={travel}&by=model")
    assert tab.locator("#cost-spend .bars path").count() > 0
    assert "acme-travel-ft-8b" in tab.locator(".notice.warn").inner_text()  # the unpriced model, called out
    assert "acme-travel-ft-8b" in page.keys("cost-models-table")
    page.screenshot("cost")

    tab = page.open(f"/weekly?agent={support}&week={dashboard_fleet.weeks[0]}")
    assert 1 <= len(page.keys("weekly-table")) <= 10
    page.screenshot("weekly")

    tab = page.open(f"/tools?agent={support}")
    assert {"lookup_order", "refund_order", "update_address", "send_email"} <= set(page.column("tools-table", 2))
    page.screenshot("tools")

    tab = page.open(f"/sessions?agent={support}")
    assert page.keys("sessions-table") and {agent.split()[0] for agent in page.column("sessions-table", 3)} == {support}
    page.screenshot("sessions")

    tab = page.open("/alerts")
    assert "SPANLEDGER_ALERTS_RULES_FILE" in tab.locator(".notice.warn").first.inner_text()  # this server has no rules file
    page.screenshot("alerts")


def test_a_page_is_rendered_once_at_navigation(page: Page, dashboard_fleet: Any, monkeypatch: Any) -> None:
    """The render starts when the page's URL is requested (while the browser loads its scripts) and the
    page's callback takes it: one render per visit, and the right one."""
    from dashboards.pages import tools

    support = dashboard_fleet.agent("support-bot")
    renders: list[str] = []
    original = tools.render
    monkeypatch.setattr(tools, "render", lambda context, view, **more: renders.append(view.agent) or original(context, view, **more))
    page.open(f"/tools?agent={support}")
    assert renders == [support]
    assert "lookup_order" in page.column("tools-table", 2)
    page.open("/tools")  # another view: its own render
    assert renders == [support, None]


def test_changing_a_filter_changes_the_figures(page: Page, dashboard_fleet: Any) -> None:
    reviewer = dashboard_fleet.agent("code-reviewer")
    tab = page.open("/")
    assert len(tab.evaluate(TRACE_NAMES, "overview-trends")) > 1
    tab.locator(".filter-agent button.dash-dropdown").click()
    tab.get_by_role("option", name=reviewer, exact=True).click()
    tab.wait_for_function(f"() => location.search.includes('agent={reviewer}')")
    tab.wait_for_function(f"""() => {{ const g = document.getElementById('overview-trends');
        const plot = g && g.querySelector('.js-plotly-plot');
        return plot && plot.data && plot.data.every(t => t.name === '{reviewer}'); }}""", timeout=30_000)
    page.ready()
    assert set(page.column("overview-table", 1)) == {reviewer}
    tab.locator(".filter-version button.dash-dropdown").click()
    tab.get_by_role("option").first.wait_for()
    assert set(tab.get_by_role("option").all_inner_texts()) == {"0.9.4", "1.0.0"}  # the versions of that agent only
    tab.keyboard.press("Escape")
    page.screenshot("overview-filtered")


def test_top10_row_opens_the_session_waterfall(page: Page, dashboard_fleet: Any, store: Any) -> None:
    support = dashboard_fleet.agent("support-bot")
    tab = page.open(f"/weekly?agent={support}&week={dashboard_fleet.weeks[0]}")
    first = page.keys("weekly-table")[0]
    start, end = iso_week(dashboard_fleet.weeks[0])
    expected = rows(store, "SELECT session_id FROM sessions FINAL WHERE tenant = 'default' AND agent_name = {a:String} "
                           "AND first_start >= {s:DateTime64(6)} AND first_start < {e:DateTime64(6)} ORDER BY cost_usd DESC, session_id LIMIT 1",
                    {"a": support, "s": param(start), "e": param(end)})
    assert expected and first == expected[0]["session_id"]
    tab.locator("#weekly-table tbody tr").first.get_by_role("link").click()
    tab.wait_for_url(f"**/sessions/{first}**")
    page.ready()
    spans = rows(store, "SELECT span_id, name FROM spans FINAL WHERE session_id = {s:String}", {"s": first})
    assert sorted(page.keys("spans-table")) == sorted(row["span_id"] for row in spans)
    drawn = tab.evaluate("() => document.querySelector('#waterfall .js-plotly-plot').data.reduce((n, t) => n + t.y.length, 0)")
    assert drawn == len(spans)
    page.screenshot("session")

    # A click on a bar selects that span: its id goes into the URL and its details show.
    bar = tab.locator("#waterfall .bars path").first
    box = bar.bounding_box()
    tab.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.wait_for_function("() => location.search.includes('span=')")
    page.ready()
    chosen = tab.evaluate("() => new URLSearchParams(location.search).get('span')")
    tab.wait_for_function(f"() => document.querySelector('#span-detail-name')?.dataset.spanId === '{chosen}'")
    assert chosen in {row["span_id"] for row in spans}


def test_sessions_sort_and_filter(page: Page, dashboard_fleet: Any) -> None:
    support = dashboard_fleet.agent("support-bot")
    page.open(f"/sessions?agent={support}&sort=cost_usd&order=desc")
    costs = [float(text.strip("$").replace(",", "")) for text in page.column("sessions-table", 8)]
    assert costs == sorted(costs, reverse=True) and len(costs) > 1
    page.tab.get_by_role("link", name="Cost ↓").click()
    page.tab.wait_for_function("() => location.search.includes('order=asc')")
    page.tab.get_by_role("link", name="Cost ↑").wait_for()
    costs = [float(text.strip("$").replace(",", "")) for text in page.column("sessions-table", 8)]
    assert costs == sorted(costs)
    page.open(f"/sessions?agent={support}&outcome=escalated")
    assert set(page.column("sessions-table", 6)) == {"escalated"}


def test_empty_state_tells_how_to_send_the_first_trace(page: Page, service: Any, unique: str) -> None:
    tab = page.open(f"/?tenant=nobody-{unique}")
    text = tab.locator("#empty-state").inner_text()
    assert "send your first one" in text and f"127.0.0.1:{service.grpc_port}" in text
    page.screenshot("empty-state")


def test_auto_refresh_shows_new_sessions(page: Page, service: Any, unique: str) -> None:
    prefix = f"live{unique}-"
    tab = page.open(f"/sessions?agent={prefix}support-bot&refresh=1")
    assert "No session matches" in tab.locator("main").inner_text()
    send_sessions(service, prefix, 30, 2, seed=7)
    compute_jobs(service)
    tab.wait_for_selector("#sessions-table", timeout=20_000)  # the next refresh tick renders them, no reload
    assert {agent.split()[0] for agent in page.column("sessions-table", 3)} == {f"{prefix}support-bot"}


def test_alerts_page_shows_state_history_and_overview_count(page: Page, service: Any, unique: str, tmp_path: Path) -> None:
    import datetime as dt

    import yaml

    from alerts.engine import AlertEngine
    from alerts.rules import load_rules
    from tests.alert_fleet import agent_session, send_and_roll_up

    agent = f"alertui-{unique}"
    now = dt.datetime.now(dt.UTC)
    send_and_roll_up(service, [agent_session(agent, f"{agent}-{i}", now - dt.timedelta(minutes=30, seconds=-20 * i), 0.9)
                               for i in range(6)])
    rules = tmp_path / "rules.yaml"
    rule = f"ui-cost-{unique}"
    rules.write_text(yaml.safe_dump({"rules": [{"name": rule, "kind": "threshold", "metric": "cost_p95", "agent": agent,
                                                "above": 0.5, "window": "1h", "group_by": ["agent"]}]}))
    AlertEngine(service.store, service.settings, load_rules(rules, ())).evaluate(now)
    page.open(f"/alerts?agent={agent}")
    key = f"{rule} tenant=default,agent={agent}"
    assert page.keys("alert-states-table") == [key]
    assert page.column("alert-states-table", 1) == ["firing"] and page.column("alert-states-table", 3) == [f"agent={agent}"]
    assert page.keys("alert-history-table") == [key] and page.column("alert-history-table", 4) == ["ok → firing"]
    page.screenshot("alerts-firing")
    page.open(f"/?agent={agent}")
    assert page.column("overview-table", 11) == ["1"]  # the overview's active-alerts column
