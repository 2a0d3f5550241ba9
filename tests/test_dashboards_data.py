"""What the dashboards show, checked without a browser: the data functions against brute force over the
stored spans and sessions, the pure pieces (view parsing, waterfall order, statistics) on their own."""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from typing import Any

import httpx
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards import data
from dashboards.compare import compare_versions, intervals_disjoint, quantile_interval, two_proportion_p, welch_p
from dashboards.filters import View, parse_view
from dashboards.sessions_data import SessionSearch, search_sessions, weekly_review
from dashboards.waterfall import tree_order
from jobs.metrics import MetricsQuery, agent_metrics
from jobs.percentiles import nearest_rank
from tests.conftest import rows

NOW = dt.datetime(2026, 11, 24, 10, 17, 42, tzinfo=dt.UTC)
MODEL_OPS = "('chat', 'text_completion', 'embeddings')"


def week_view(fleet: Any, agent: str | None = None) -> View:
    return parse_view({"range": "7d", **({"agent": fleet.agent(agent)} if agent else {})}, dt.datetime.now(dt.UTC))


def test_view_round_trips_through_the_url() -> None:
    view = parse_view({"range": "6h", "agent": "a b&c", "env": "prod", "refresh": "0", "sort": "cost_usd"}, NOW)
    assert (view.since, view.until, view.grain) == (NOW.replace(second=0) - dt.timedelta(hours=6), NOW.replace(second=0), "1m")
    assert parse_view(dict(pair.split("=") for pair in _decoded(view.query())), NOW) == view
    assert view.global_query() == "?range=6h&agent=a+b%26c&env=prod&refresh=0"
    long = parse_view({"from": "2026-11-20T08:30", "to": "2026-11-22"}, NOW)
    assert (long.range, long.since, long.grain) == ("custom", dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC), "1h")
    assert parse_view({"range": "bogus", "refresh": "x", "from": "yesterday"}, NOW) == parse_view({}, NOW)


def test_charts_over_time_keep_to_about_a_hundred_buckets() -> None:
    steps = {name: (parse_view({"range": name}, NOW).bucket_seconds, parse_view({"range": name}, NOW).bucket_label)
             for name in ("1h", "6h", "24h", "7d", "30d")}
    assert steps == {"1h": (60, "1m"), "6h": (60, "1m"), "24h": (3600, "1h"), "7d": (10800, "3h"), "30d": (43200, "12h")}


def _decoded(query: str) -> list[str]:
    from urllib.parse import unquote_plus

    return [unquote_plus(part) for part in query.lstrip("?").split("&")]


def test_model_rollups_match_the_spans(store: Any, dashboard_fleet: Any) -> None:
    expected = rows(store, f"""SELECT if(request_model != '', request_model, response_model) AS model, count() AS calls,
        sum(cost_usd) AS cost, countIf(cost_source = 'unpriced') AS unpriced FROM spans FINAL
        WHERE startsWith(agent_name, {{p:String}}) AND operation IN {MODEL_OPS} GROUP BY model""", {"p": dashboard_fleet.prefix})
    got = rows(store, """SELECT model, sum(calls) AS calls, sum(cost_usd) AS cost, sum(unpriced_calls) AS unpriced
        FROM rollup_models_live WHERE grain = {g:String} AND startsWith(agent_name, {p:String}) GROUP BY model""",
               {"p": dashboard_fleet.prefix, "g": "1h"})
    minutes = rows(store, "SELECT sum(calls) AS calls FROM rollup_models_live WHERE grain = '1m' AND startsWith(agent_name, {p:String})",
                   {"p": dashboard_fleet.prefix})
    assert {row["model"]: (row["calls"], round(row["cost"], 9), row["unpriced"]) for row in got} == \
           {row["model"]: (row["calls"], round(row["cost"], 9), row["unpriced"]) for row in expected}
    assert minutes[0]["calls"] == sum(row["calls"] for row in expected)


def _model_figures(store: Any, prefix: str) -> dict[str, Any]:
    """Per model: (calls, cost) of the spans, and of the model rollups' hours and minutes."""
    def by_model(found: list[dict[str, Any]]) -> dict[str, tuple[int, float]]:
        return {row["model"]: (row["calls"], round(row["cost"], 9)) for row in found}

    live = """SELECT model, sum(calls) AS calls, sum(cost_usd) AS cost FROM rollup_models_live
              WHERE grain = {g:String} AND startsWith(agent_name, {p:String}) GROUP BY model"""
    return {"spans": by_model(rows(store, f"""SELECT if(request_model != '', request_model, response_model) AS model, count() AS calls,
                sum(cost_usd) AS cost FROM spans FINAL WHERE startsWith(agent_name, {{p:String}}) AND operation IN {MODEL_OPS}
                GROUP BY model""", {"p": prefix})),
            "1h": by_model(rows(store, live, {"p": prefix, "g": "1h"})), "1m": by_model(rows(store, live, {"p": prefix, "g": "1m"}))}


def test_model_rollups_read_again_only_the_minutes_that_changed(service: Any, store: Any) -> None:
    """Two sends into the same hours, the jobs and the model rollups after each: the second pass reads again only
    the minutes its sessions start in and keeps the rows of the others, and every figure still matches the spans."""
    from tests.dashboard_fleet import compute_jobs, send_sessions

    prefix = f"mr{random.randrange(16**8):08x}-"
    send_sessions(service, prefix, 30, 3, seed=41)
    compute_jobs(service)
    first = _model_figures(store, prefix)
    assert first["1h"] == first["1m"] == first["spans"] and first["spans"]
    send_sessions(service, prefix, 30, 3, seed=42)
    compute_jobs(service)
    second = _model_figures(store, prefix)
    assert second["1h"] == second["spans"] and second["1m"] == second["spans"]
    assert second["spans"] != first["spans"]


def test_overview_figures_are_the_metrics_figures(store: Any, dashboard_fleet: Any) -> None:
    view = week_view(dashboard_fleet, "support-bot")
    table, trends = data.overview_figures(store, view)
    metrics = agent_metrics(store, MetricsQuery(agent=view.agent or "", since=view.since, until=view.until, by="version"))
    by_version = {group["key"]: group for group in metrics["groups"]}
    assert set(table.get_column("agent_version")) == set(by_version) and len(by_version) == 3
    for row in table.iter_rows(named=True):
        group = by_version[row["agent_version"]]
        assert (row["sessions"], row["success_rate"], row["session_ms_p95"], row["cost_p95"], row["cost_p99"]) == \
               (group["sessions"], group["success_rate"], group["session_latency_ms"]["p95"],
                group["cost_per_session_usd"]["p95"], group["cost_per_session_usd"]["p99"])
    # A week's trends are 3-hour buckets (View.bucket_seconds): against brute force over the sessions' own values.
    assert view.bucket_seconds == 3 * 3600
    sessions = data.session_values(store, view).with_columns(pl.col("first_start").dt.truncate("3h").alias("bucket"))
    expected = {}
    for (bucket,), group in sessions.group_by(["bucket"]):
        done = group.filter(pl.col("finished") == 1)
        expected[bucket] = (group.height, (done.filter(pl.col("outcome") == "resolved").height / done.height) if done.height else None,
                            nearest_rank((done.get_column("duration_ns") / 1e6).to_list(), 95), group.get_column("cost_usd").sum())
    assert trends.height == len(expected) > 10
    for row in trends.iter_rows(named=True):
        sessions_in, success, p95, spend = expected[row["bucket"]]
        assert (row["sessions"], row["success_rate"], row["session_ms_p95"]) == (sessions_in, success, p95)
        assert math.isclose(row["spend_usd"], spend, rel_tol=1e-9)
    # Up to 100 hours the buckets are hours, as `spanledger metrics --by hour` has them.
    hours = parse_view({"from": (view.until - dt.timedelta(hours=99)).strftime("%Y-%m-%dT%H:%M"), "to": view.until.strftime("%Y-%m-%dT%H:%M"),
                        "agent": view.agent or ""}, dt.datetime.now(dt.UTC))
    assert hours.bucket_seconds == 3600
    _, hourly_trends = data.overview_figures(store, hours)
    hourly = agent_metrics(store, MetricsQuery(agent=hours.agent or "", since=hours.since, until=hours.until, by="hour"))
    by_hour = {group["key"]: group for group in hourly["groups"]}
    assert hourly_trends.height == len(by_hour) > 0
    for row in hourly_trends.iter_rows(named=True):
        group = by_hour[row["bucket"].strftime("%Y-%m-%dT%H:%M:%SZ")]
        assert (row["sessions"], row["success_rate"], row["session_ms_p95"]) == \
               (group["sessions"], group["success_rate"], group["session_latency_ms"]["p95"])
        assert math.isclose(row["spend_usd"], group["spend_usd"], rel_tol=1e-9)


def test_cost_distribution_counts_every_finished_session(store: Any, dashboard_fleet: Any) -> None:
    # One agent of this fleet: other tests share the store and add sessions of their own agents.
    view = week_view(dashboard_fleet, "support-bot")
    histogram, marks = data.cost_distribution(store, view)
    sessions = data.session_values(store, view)
    costs = sessions.filter(pl.col("finished") == 1).get_column("cost_usd").to_list()
    roots = store.backend.query_arrow("SELECT uniqExact(session_id) AS n FROM spans FINAL WHERE agent_name = {a:String} "
                                      "AND parent_span_id = ''", {"a": dashboard_fleet.agent("support-bot")}).to_pylist()[0]["n"]
    assert histogram.get_column("sessions").sum() == len(costs) == roots > 0
    assert marks == {f"p{p}": nearest_rank(costs, p) for p in (50, 95, 99)}


def test_tool_calls_match_the_spans(store: Any, dashboard_fleet: Any) -> None:
    tools = data.tool_calls(store, week_view(dashboard_fleet, "support-bot"))
    spans = rows(store, """SELECT agent_version, tool_name, status_code = 'ERROR' AS failed, duration_ns / 1e6 AS ms
        FROM spans FINAL WHERE agent_name = {a:String} AND operation = 'execute_tool'""", {"a": dashboard_fleet.agent("support-bot")})
    for row in tools.iter_rows(named=True):
        mine = [span for span in spans if (span["agent_version"], span["tool_name"]) == (row["agent_version"], row["tool"])]
        assert (row["calls"], row["errors"]) == (len(mine), sum(span["failed"] for span in mine))
        exact = nearest_rank([span["ms"] for span in mine], 95)
        assert exact is not None and math.isclose(row["ms_p95"], exact, rel_tol=0.011)
    assert tools.get_column("calls").sum() == len(spans)


def test_session_search_filters_and_sorts(store: Any, dashboard_fleet: Any) -> None:
    view = week_view(dashboard_fleet, "support-bot")
    found = search_sessions(store, view, SessionSearch(outcome="resolved", min_cost=0.01, sort="cost_usd", descending=False))
    expected = rows(store, """SELECT session_id FROM sessions FINAL WHERE agent_name = {a:String} AND outcome = 'resolved'
        AND cost_usd >= 0.01 ORDER BY cost_usd, session_id LIMIT 50""", {"a": view.agent})
    assert found.get_column("session_id").to_list() == [row["session_id"] for row in expected]
    with pytest.raises(ValueError):
        search_sessions(store, view, SessionSearch(sort="cost_usd; DROP TABLE spans"))


def test_weekly_review_reads_the_stored_review(store: Any, dashboard_fleet: Any, ui_url: str) -> None:
    week = dashboard_fleet.weeks[0]
    frame, stored = weekly_review(store, "default", week, dashboard_fleet.agent("support-bot"))
    assert stored and frame.get_column("rank").to_list() == list(range(1, frame.height + 1))
    assert frame.get_column("cost_usd").to_list() == sorted(frame.get_column("cost_usd").to_list(), reverse=True)
    live, stored_again = weekly_review(store, "default", "2020-W01", None)
    assert not stored_again and live.is_empty()
    query = {"week": week, "agent": dashboard_fleet.agent("support-bot")}
    csv = httpx.get(f"{ui_url}/export/weekly-review.csv", params=query).text
    markdown = httpx.get(f"{ui_url}/export/weekly-review.md", params=query).text
    assert csv.splitlines()[0].startswith("rank,session_id") and len(csv.splitlines()) == frame.height + 1
    assert all(session in csv and session in markdown for session in frame.get_column("session_id").to_list())
    assert httpx.get(f"{ui_url}/export/weekly-review.csv", params={"week": "nonsense"}).status_code == 400


def test_version_comparison_uses_the_gate(store: Any, service: Any, dashboard_fleet: Any) -> None:
    comparison = compare_versions(store, service.settings, week_view(dashboard_fleet, "support-bot"), "2.3.1", "2.4.0")
    assert comparison is not None and (comparison.baseline, comparison.candidate) == ("2.3.1", "2.4.0")
    assert comparison.gate.verdict == "not enough data"  # fewer than 100 finished sessions each
    success = comparison.rows.filter(pl.col("metric") == "success rate").row(0, named=True)
    assert success["test"] == "z-test" and 0 <= success["p_value"] <= 1


def test_two_proportion_and_welch_tests() -> None:
    assert math.isclose(two_proportion_p(50, 100, 60, 100) or -1, 0.1556, abs_tol=1e-3)  # textbook z = 1.42
    assert two_proportion_p(0, 0, 1, 2) is None and two_proportion_p(5, 5, 7, 7) == 1.0
    same = pl.Series([1.0, 2.0, 3.0, 4.0])
    shifted = welch_p(same, same + 100)
    assert welch_p(same, same) == 1.0 and shifted is not None and shifted < 1e-6


def test_quantile_intervals_cover_and_stay_open_when_too_few() -> None:
    rng = random.Random(3)
    covered = 0
    for _ in range(200):
        values = sorted(rng.random() for _ in range(400))
        low, high = quantile_interval(values, 95) or (None, None)
        covered += low is not None and high is not None and low <= 0.95 <= high
    assert covered >= 180  # ~95% coverage of the true p95 of U(0, 1)
    assert quantile_interval([1.0] * 11, 95) == (1.0, None)  # 11 values say nothing above their p95
    assert intervals_disjoint((1.0, 2.0), (3.0, None)) and not intervals_disjoint((1.0, None), (3.0, 4.0))


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=30))
def test_waterfall_puts_every_span_after_its_parent(parents: list[int]) -> None:
    # Span i's parent is span parents[i] (itself, a later span, or a missing one all happen: cycles too).
    spans = pl.DataFrame({"span_id": [f"s{i}" for i in range(len(parents))],
                          "parent_span_id": [f"s{p}" if p != i else "" for i, p in enumerate(parents)],
                          "start_time": [dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=i) for i in range(len(parents))]})
    ordered = tree_order(spans)
    position = dict(zip(ordered.get_column("span_id"), ordered.get_column("row")))
    depth = dict(zip(ordered.get_column("span_id"), ordered.get_column("depth")))
    assert sorted(ordered.get_column("row").to_list()) == list(range(ordered.height))
    for span_id, parent in spans.select("span_id", "parent_span_id").iter_rows():
        if span_id in position and parent in position and depth[span_id] == depth[parent] + 1:
            assert position[parent] < position[span_id]
    assert ordered.height == spans.height


def test_a_long_tools_table_shows_the_busiest_rows_and_links_to_all(monkeypatch: Any) -> None:
    from dash import dcc

    from dashboards.pages import tools

    frame = pl.DataFrame({"agent_name": ["a"] * 50, "agent_version": [f"v{i % 5}" for i in range(50)],
                          "tool": [f"tool-{i}" for i in range(50)], "calls": list(range(50)), "share": [0.02] * 50,
                          "error_rate": [0.0] * 50, "ms_p50": [1.0] * 50, "ms_p95": [2.0] * 50, "ms_p99": [3.0] * 50})
    monkeypatch.setattr(data, "tool_calls", lambda store, view: frame)
    view = parse_view({"range": "24h"}, NOW)

    def table_rows(page: Any) -> list[str]:
        table = next(node for node in _walk(page) if getattr(node, "id", None) == "tools-table")
        return [row["cells"][1] for row in table.rows]

    context = type("Context", (), {"store": None})()
    page = tools.render(context, view)
    shown = table_rows(page)
    assert len(shown) == tools.ROWS and shown[0] == "tool-49" and "tool-0" not in shown  # the busiest first
    link = next(node for node in _walk(page) if isinstance(node, dcc.Link) and getattr(node, "id", None) == "tools-all")
    assert "rows=all" in link.href and link.children == "show all 50"
    everything = tools.render(context, parse_view({"range": "24h", "rows": "all"}, NOW))
    assert len(table_rows(everything)) == 50


def _walk(node: Any) -> Any:
    yield node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "children") or hasattr(child, "id"):
            yield from _walk(child)


@pytest.mark.parametrize("finished", [7, 20, 100, 101])
def test_overview_percentiles_are_nearest_rank_when_p_times_n_is_whole(store: Any, unique: str, finished: int) -> None:
    """20 and 100 sessions put the p95 / p99 rank on a whole number, where a selection that is off by one
    shows the next value; ties and a running session (which has no say) are in too."""
    rng = random.Random(finished)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    latencies = [rng.randint(1, 50) * 1_000_000 for _ in range(finished)] + [999_000_000_000]
    costs = [rng.randint(1, 30) / 100 for _ in range(finished)] + [99.0]
    count = finished + 1
    frame = pl.DataFrame({
        "tenant": [unique] * count, "session_id": [f"s{i}" for i in range(count)], "agent_name": ["ranks"] * count,
        "agent_version": ["1"] * count, "environment": ["test"] * count, "segment": [""] * count, "user_id": [""] * count,
        "root_span_id": [""] * count, "first_start": [start] * count,
        "last_end": [start + dt.timedelta(microseconds=ns // 1000) for ns in latencies], "duration_ns": latencies,
        "traces": [1] * count, "spans": [3] * count, "model_calls": [1] * count, "tool_calls": [1] * count,
        "error_spans": [0] * count, "handoffs": [0] * count, "input_tokens": [10] * count, "output_tokens": [5] * count,
        "cache_read_tokens": [0] * count, "cache_write_tokens": [0] * count, "reasoning_tokens": [0] * count,
        "cost_usd": costs, "unpriced_spans": [0] * count, "agent_usage_counted": [0] * count,
        "finished": [1] * finished + [0], "outcome": ["resolved"] * finished + ["running"],
        "prev_first_start": [start] * count, "computed_at": [dt.datetime.now(dt.UTC)] * count, "is_deleted": [0] * count,
    }, schema_overrides={"duration_ns": pl.UInt64, "finished": pl.UInt8, "is_deleted": pl.UInt8, "agent_usage_counted": pl.UInt8})
    store.insert_frame("jobs_insert_sessions", frame)
    table, _ = data.overview_figures(store, parse_view({"range": "24h", "tenant": unique}, dt.datetime.now(dt.UTC)))
    row = table.row(0, named=True)
    assert (row["sessions"], row["finished"]) == (count, finished)
    assert row["session_ms_p95"] == nearest_rank(latencies[:finished], 95) / 1e6
    assert (row["cost_p95"], row["cost_p99"]) == (nearest_rank(costs[:finished], 95), nearest_rank(costs[:finished], 99))


def test_scripts_and_styles_travel_compressed(ui_url: str) -> None:
    """A first visit loads about 2.4 MB of scripts; they must go gzip'd to a browser that asks, unchanged."""
    page = httpx.get(f"{ui_url}/").text
    static = re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', page)
    assert any("plotly" in path for path in static) and any(".css" in path for path in static)
    plain_total = sent_total = 0
    for path in static:
        plain = httpx.get(ui_url + path, headers={"Accept-Encoding": "identity"})
        packed = httpx.get(ui_url + path, headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == packed.status_code == 200
        assert "Content-Encoding" not in plain.headers
        if len(plain.content) >= 1024:
            assert packed.headers["Content-Encoding"] == "gzip", path
            assert int(packed.headers["Content-Length"]) < len(plain.content)
        assert packed.content == plain.content  # httpx decodes: the same file either way
        plain_total += len(plain.content)
        sent_total += int(packed.headers["Content-Length"])
    assert sent_total < plain_total / 3
    callback = httpx.get(f"{ui_url}/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in callback.headers  # only static files are compressed
