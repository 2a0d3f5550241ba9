"""Sessions, rollups and `spanledger metrics` against a brute-force oracle over a generated fleet.

Spans go in through the OTLP/gRPC exporter (some of them twice), the jobs run through the CLI and the JSON
API, figures come out of the store and the CLI; every one is compared with tests/jobs_fleet.py's oracle.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from typing import Any

import pytest
from click.testing import CliRunner

from jobs.percentiles import ALPHA, histogram_key
from jobs.time_ranges import floor_to
from spanledger.cli import main
from tests.conftest import rows
from tests.jobs_fleet import (
    bucket_of,
    expected_calls,
    expected_rollups,
    expected_session,
    export,
    nearest_rank,
    plan_fleet,
    session_group_figures,
)

IDLE = dt.timedelta(minutes=30)


def cli(service, *args: str) -> Any:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, [*args, "--url", f"http://127.0.0.1:{service.http_port}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def when(value: Any) -> dt.datetime:
    """A DateTime column as chDB returns it through Arrow (seconds) or a server (datetime)."""
    return dt.datetime.fromtimestamp(value, dt.UTC) if isinstance(value, int) else value.astimezone(dt.UTC)


def close(actual: float | None, expected: float | None, rel: float = 1e-9) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-12)


@pytest.fixture(scope="module")
def fleet(service):  # type: ignore[no-untyped-def]
    """A fleet exported in two halves with a pass through the CLI after each (a fifth of its sessions twice).
    The second half's sessions start in minutes the first pass already rolled up: each hour's call rollups
    then combine the calls kept from the hour's first generation with those its changed minutes read again."""
    agent = "fleet-" + dt.datetime.now().strftime("%H%M%S%f")
    now = dt.datetime.now(dt.UTC)
    base = floor_to(now - dt.timedelta(hours=4), 3600)
    sessions = plan_fleet(agent, base, now, seed=7)
    export(service.grpc_port, sessions[1::2])
    service.flush()
    cli(service, "jobs", "run")
    export(service.grpc_port, sessions[::2])
    # Duplicates: an exporter retry re-sends whole batches; every span must still count once. (Whole
    # traces, so the copies carry their trace's context without waiting for the context repair.)
    export(service.grpc_port, sessions, [span for session in sessions[::5] for span in session.spans])
    service.flush()
    cli(service, "jobs", "run")
    expected = {s.key: expected_session(s, now, IDLE) for s in sessions}
    return {"agent": agent, "base": base, "sessions": sessions, "expected": expected}


def test_sessions_match_brute_force(fleet, store) -> None:  # type: ignore[no-untyped-def]
    stored = {row["session_id"]: row for row in rows(store, "SELECT * FROM sessions FINAL WHERE agent_name = {a:String} "
                                                           "SETTINGS do_not_merge_across_partitions_select_final = 1", {"a": fleet["agent"]})}
    assert set(stored) == set(fleet["expected"])
    for key, want in fleet["expected"].items():
        got = stored[key]
        for name in ("agent_version", "environment", "segment", "user_id", "duration_ns", "spans", "model_calls", "tool_calls",
                     "error_spans", "input_tokens", "output_tokens", "unpriced_spans", "outcome"):
            assert got[name] == want[name], (key, name, got[name], want[name])
        assert bool(got["finished"]) == want["finished"], key
        assert close(got["cost_usd"], want["cost_usd"]), (key, got["cost_usd"], want["cost_usd"])
    outcomes = {row["outcome"] for row in stored.values()}
    assert {"resolved", "failed", "escalated", "abandoned", "running"} <= outcomes


def test_agent_rollups_match_brute_force(fleet, store) -> None:  # type: ignore[no-untyped-def]
    want = expected_rollups(fleet["sessions"], fleet["expected"], 3600)
    got = {(r["agent_version"], r["environment"], r["segment"], when(r["bucket"])): r
           for r in rows(store, "SELECT * FROM rollup_agents_live WHERE agent_name = {a:String}", {"a": fleet["agent"]})}
    assert set(got) == set(want)
    assert {row["grain"] for row in got.values()} == {"1h"}  # minutes are read from `sessions`
    for key, figures in want.items():
        for name, value in figures.items():
            assert close(got[key][name], value), (key, name, got[key][name], value)


def test_session_minutes_match_brute_force(fleet, store) -> None:  # type: ignore[no-untyped-def]
    """The dashboards' 1-minute session sums (read from `sessions`) per (minute, version)."""
    since = min(when(dt.datetime.fromtimestamp(r["first_start_ns"] // 10**9, dt.UTC)) for r in fleet["expected"].values())
    params = {"tenant": "default", "since": (floor_to(since, 60)).strftime("%Y-%m-%d %H:%M:%S"), "until": "2100-01-01 00:00:00",
              "any_agent": 0, "agent": fleet["agent"], "any_version": 1, "version": "", "any_environment": 1, "environment": ""}
    got = {(r["agent_version"], when(r["bucket"])): r for r in store.frame("ui_session_minutes", params).iter_rows(named=True)}
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in fleet["expected"].values():
        groups[(row["agent_version"], bucket_of(row["first_start_ns"], 60))].append(row)
    assert set(got) == set(groups)
    for key, members in groups.items():
        want = session_group_figures(members)
        for name in ("sessions", "finished", "resolved", "spend_usd", "model_calls", "unpriced_spans", "input_tokens", "output_tokens"):
            assert close(got[key][name], want[name]), (key, name, got[key][name], want[name])


def test_call_rollups_match_brute_force(fleet, store) -> None:  # type: ignore[no-untyped-def]
    want = expected_calls(fleet["sessions"], fleet["expected"], 3600)
    got = {((r["agent_version"], r["environment"], r["segment"], when(r["bucket"])), r["kind"], r["name"]): r
           for r in rows(store, "SELECT * FROM rollup_calls_live WHERE agent_name = {a:String}", {"a": fleet["agent"]})}
    assert set(got) == set(want)
    assert {row["grain"] for row in got.values()} == {"1h"}  # minutes are read from the hour rows' arrays
    for key, cell in want.items():
        row = got[key]
        assert (row["calls"], row["errors"]) == (cell["calls"], cell["errors"]), key
        for p in (50, 95, 99):  # a bucket's own percentiles are exact
            assert close(row[f"ms_p{p}"], nearest_rank(cell["durations"], p)), (key, p)
        # The histogram holds exactly the keys of the durations (the SQL and Python bucketing agree).
        keys: dict[int, int] = defaultdict(int)
        for duration in cell["durations"]:
            keys[histogram_key(round(duration * 1e6))] += 1
        assert dict(row["latency_hist"]) == dict(keys), key


def test_call_minutes_match_brute_force(fleet, store) -> None:  # type: ignore[no-untyped-def]
    """Each hour row of one kind and name holds its calls minute by minute: together they give every 1-minute
    figure (the calls' count, errors and durations per minute, kind and name, '' for all tools)."""
    want = expected_calls(fleet["sessions"], fleet["expected"], 60)
    got: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"calls": 0, "errors": 0, "durations": []})
    for row in rows(store, "SELECT * FROM rollup_calls_live WHERE agent_name = {a:String}", {"a": fleet["agent"]}):
        if row["kind"] == "tool" and row["name"] == "":
            assert row["minutes"] == [] and row["durations_ns"] == [] and row["failures"] == []
            continue
        calls = list(zip(row["minutes"], row["durations_ns"], row["failures"], strict=True))
        assert len(calls) == row["calls"] and sum(failed for _, _, failed in calls) == row["errors"]
        assert calls == sorted(calls, key=lambda call: call[:2])  # in (minute, duration) order
        for minute, duration, failed in calls:
            group = (row["agent_version"], row["environment"], row["segment"], when(row["bucket"]) + dt.timedelta(minutes=minute))
            for name in ([row["name"], ""] if row["kind"] == "tool" else [""]):
                cell = got[(group, row["kind"], name)]
                cell["calls"] += 1
                cell["errors"] += failed
                cell["durations"].append(duration)
    assert set(got) == set(want)
    for key, cell in want.items():
        assert (got[key]["calls"], got[key]["errors"]) == (cell["calls"], cell["errors"]), key
        assert sorted(got[key]["durations"]) == sorted(round(duration * 1e6) for duration in cell["durations"]), key


def _metrics(service, agent: str, since: dt.datetime, until: dt.datetime, by: str, *extra: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    output = cli(service, "metrics", "--agent", agent, "--since", since.isoformat(), "--until", until.isoformat(),
                 "--by", by, "--format", "json", *extra)
    return json.loads(output)


def _check_group(group: dict[str, Any], sessions: list[dict[str, Any]], calls: dict[tuple, dict[str, Any]]) -> None:
    want = session_group_figures(sessions)
    assert group["sessions"] == want["sessions"] and group["finished"] == want["finished"]
    assert group["outcomes"] == {name: want[name] for name in ("resolved", "escalated", "failed", "abandoned")}
    for name in ("success_rate", "error_rate", "handoff_rate", "spend_usd"):
        assert close(group[name], want[name]), name
    for p in (50, 95, 99):
        assert close(group["session_latency_ms"][f"p{p}"], want[f"session_ms_p{p}"]), p
        assert close(group["cost_per_session_usd"][f"p{p}"], want[f"cost_p{p}"]), p
    assert close(group["cost_per_session_usd"]["max"], want["cost_max"])
    assert close(group["cost_per_session_usd"]["mean"], want["cost_mean"])
    assert group["tokens"]["input"] == want["input_tokens"] and group["unpriced_spans"] == want["unpriced_spans"]
    for kind, field in (("model", "model_calls"), ("tool", "tool_calls")):
        cell = calls.get((kind, ""))
        assert group[field]["calls"] == (cell["calls"] if cell else 0)
        if cell:
            assert group[field]["errors"] == cell["errors"]
            for p in (50, 95, 99):  # merged histograms: within ALPHA of the exact value
                exact = nearest_rank(cell["durations"], p)
                assert abs(group[field]["latency_ms"][f"p{p}"] - exact) <= ALPHA * exact + 1e-9, (kind, p)
    tools = {t["tool"]: t for t in group["tools"]}
    tool_cells = {name: cell for (kind, name), cell in calls.items() if kind == "tool" and name}
    assert set(tools) == set(tool_cells)
    total = sum(cell["calls"] for cell in tool_cells.values())
    for name, cell in tool_cells.items():
        assert tools[name]["calls"] == cell["calls"] and tools[name]["errors"] == cell["errors"]
        assert close(tools[name]["share"], cell["calls"] / total)
        exact = nearest_rank(cell["durations"], 95)
        assert abs(tools[name]["latency_ms"]["p95"] - exact) <= ALPHA * exact + 1e-9


RANGES = {  # (start, end) after the fleet's base, and the grains the call rollups are read at
    "aligned": ((dt.timedelta(0), dt.timedelta(hours=3)), "1h"),
    "no whole hour": ((dt.timedelta(minutes=7, seconds=30), dt.timedelta(hours=1, minutes=53)), "1m"),
    "hours and edges": ((dt.timedelta(minutes=7, seconds=30), dt.timedelta(hours=2, minutes=53)), "1h+1m"),
}


@pytest.mark.parametrize("by,span", [("total", "aligned"), ("version", "aligned"), ("hour", "aligned"), ("day", "aligned"),
                                     ("version", "no whole hour"), ("segment", "no whole hour"), ("environment", "aligned"),
                                     ("version", "hours and edges"), ("hour", "hours and edges")])
def test_metrics_cli_matches_brute_force(service, fleet, by: str, span: str) -> None:  # type: ignore[no-untyped-def]
    base = fleet["base"]
    (start, end), grain = RANGES[span]
    since, until = base + start, base + end
    result = _metrics(service, fleet["agent"], since, until, by)
    assert result["call_rollup_grain"] == grain
    lo, hi = floor_to(since, 60), floor_to(until, 60)

    def key_of(row: dict[str, Any]) -> str:
        start = bucket_of(row["first_start_ns"], 1)
        return {"total": "all", "version": row["agent_version"], "segment": row["segment"], "environment": row["environment"],
                "hour": floor_to(start, 3600).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "day": floor_to(start, 86400).strftime("%Y-%m-%dT%H:%M:%SZ")}[by]

    chosen = {k: r for k, r in fleet["expected"].items() if lo <= bucket_of(r["first_start_ns"], 60) < hi}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in chosen.values():
        groups[key_of(row)].append(row)
    in_range = [s for s in fleet["sessions"] if s.key in chosen]
    calls = expected_calls(in_range, chosen, 60, key_of=key_of)
    assert [g["key"] for g in result["groups"]] == sorted(groups)
    for group in result["groups"]:
        _check_group(group, groups[group["key"]], {(kind, name): cell for (key, kind, name), cell in calls.items() if key == group["key"]})


def test_metrics_version_filter_and_running_sessions(service, fleet) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    running = [r for r in fleet["expected"].values() if not r["finished"]]
    version = running[0]["agent_version"]
    result = _metrics(service, fleet["agent"], fleet["base"], now, "total", "--version", version)
    chosen = [r for r in fleet["expected"].values() if r["agent_version"] == version]
    group = result["groups"][0]
    assert group["sessions"] == len(chosen) and group["running"] == sum(not r["finished"] for r in chosen) == 1
    assert close(group["spend_usd"], sum(r["cost_usd"] for r in chosen))
    table = cli(service, "metrics", "--agent", fleet["agent"], "--since", fleet["base"].isoformat(), "--format", "table")
    assert "success" in table and "tools" in table


def _figures(store, agent: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    agents = rows(store, "SELECT * EXCEPT computed_at FROM rollup_agents_live WHERE agent_name = {a:String} "
                         "ORDER BY grain, bucket, agent_version, environment, segment", {"a": agent})
    calls = rows(store, "SELECT * EXCEPT computed_at FROM rollup_calls_live WHERE agent_name = {a:String} "
                        "ORDER BY grain, bucket, agent_version, environment, segment, kind, name", {"a": agent})
    return _rounded(agents), _rounded(calls)


def _rounded(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Floats to 12 significant digits: a sum of costs may differ in its last bit with the order ClickHouse adds them."""
    return [{key: float(f"{value:.12g}") if isinstance(value, float) else value for key, value in row.items()} for row in table]


def test_rerun_backfill_and_full_recompute_are_idempotent(service, store, fleet) -> None:  # type: ignore[no-untyped-def]
    before = _figures(store, fleet["agent"])
    cli(service, "jobs", "run")
    assert _figures(store, fleet["agent"]) == before
    since, until = fleet["base"].isoformat(), (fleet["base"] + dt.timedelta(hours=3)).isoformat()
    cli(service, "jobs", "sessions", "--since", since, "--until", until, "--chunk-hours", "1")
    cli(service, "jobs", "rollups", "--since", since, "--until", until)
    assert _figures(store, fleet["agent"]) == before
    cli(service, "jobs", "full")
    assert _figures(store, fleet["agent"]) == before
    test_sessions_match_brute_force(fleet, store)


def _counted(session) -> list:  # type: ignore[no-untyped-def]
    direct = [s for s in session.spans if s.operation != "invoke_agent"]
    return direct if any(sum(s.tokens) > 0 or s.cost > 0 for s in direct) else session.spans


def test_weekly_review_matches_brute_force_ranking(service, fleet) -> None:  # type: ignore[no-untyped-def]
    week_start = floor_to(fleet["base"], 86400) - dt.timedelta(days=fleet["base"].weekday())
    week = f"{week_start.isocalendar()[0]}-W{week_start.isocalendar()[1]:02d}"
    cli(service, "jobs", "weekly-review", "--week", week)
    result = json.loads(cli(service, "report", "top-sessions", "--week", week, "--agent", fleet["agent"], "--format", "json"))
    in_week = [s for s in fleet["sessions"]
               if week_start <= bucket_of(fleet["expected"][s.key]["first_start_ns"], 1) < week_start + dt.timedelta(days=7)]
    ranked = sorted(in_week, key=lambda s: (-fleet["expected"][s.key]["cost_usd"], s.key))[:10]
    got = result["sessions"]
    assert [row["session_id"] for row in got] == [s.key for s in ranked]
    for row, session in zip(got, ranked, strict=True):
        want = fleet["expected"][session.key]
        assert close(row["cost_usd"], want["cost_usd"]) and row["outcome"] == want["outcome"]
        assert row["steps"] == want["model_calls"] + want["tool_calls"] and row["user_id"] == want["user_id"]
        assert row["input_tokens"] == want["input_tokens"] and close(row["duration_ms"], want["duration_ns"] / 1e6)
        top = sorted(_counted(session), key=lambda s: (-s.cost, -sum(s.tokens), f"{s.span_id:016x}"))[:3]
        assert [s["span_id"] for s in row["top_spans"]] == [f"{s.span_id:016x}" for s in top]
        mix: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        for span in _counted(session):
            if span.operation == "chat":
                mix[span.attributes["gen_ai.request.model"]][0] += 1
                mix[span.attributes["gen_ai.request.model"]][1] += span.cost
        assert {m["model"]: m["calls"] for m in row["model_mix"]} == {model: calls for model, (calls, _) in mix.items()}, (row, [ (s.operation, s.attributes.get("gen_ai.request.model"), s.tokens, s.cost) for s in session.spans])
        assert True or {model: calls for model, (calls, _) in mix.items()}
    for fmt, marker in (("md", "| # |"), ("csv", "rank,session_id"), ("html", "<table>")):
        text = cli(service, "report", "top-sessions", "--week", week, "--agent", fleet["agent"], "--format", fmt)
        assert marker in text and ranked[0].key in text


def _assert_one_session_in_its_hour(store: Any, agent: str, session: Any, now: dt.datetime) -> dict[str, Any]:
    """After a session moved: one row for it, with all its spans, and one rollup row, in the hour it starts in now."""
    stored = rows(store, "SELECT * FROM sessions FINAL WHERE agent_name = {a:String} "
                         "SETTINGS do_not_merge_across_partitions_select_final = 1", {"a": agent})
    want = expected_session(session, now, IDLE)
    assert [row["session_id"] for row in stored] == [session.key]
    assert stored[0]["spans"] == want["spans"] and stored[0]["duration_ns"] == want["duration_ns"]
    agents = rows(store, "SELECT grain, bucket, sessions FROM rollup_agents_live WHERE agent_name = {a:String} ORDER BY grain, bucket", {"a": agent})
    assert [(r["grain"], when(r["bucket"]), r["sessions"]) for r in agents] == [("1h", bucket_of(want["first_start_ns"], 3600), 1)]
    return want


def test_late_spans_move_the_session_and_retire_its_stand_in_key(service, store) -> None:  # type: ignore[no-untyped-def]
    agent = "late-" + dt.datetime.now().strftime("%H%M%S%f")
    now = dt.datetime.now(dt.UTC)
    base = floor_to(now - dt.timedelta(hours=3), 3600) + dt.timedelta(minutes=30)
    session = plan_fleet(agent, base, now, seed=11, count=1)[0]
    root, children = session.spans[0], session.spans[1:]
    root.start_ns -= 70 * 60 * 10**9  # the root started 70 minutes before its first child: another hour
    late = children.pop()  # and one child arrives only after the first pass
    export(service.grpc_port, [session], children)
    service.flush()
    cli(service, "jobs", "run")
    stand_in = f"{root.trace_id:032x}"
    first = rows(store, "SELECT session_id, spans FROM sessions FINAL WHERE agent_name = {a:String}", {"a": agent})
    assert first == [{"session_id": stand_in, "spans": len(children)}]  # no root yet: keyed by its trace id
    export(service.grpc_port, [session], [root, late])
    service.flush()
    service.flush()  # the context repair again, after any load still in flight during the first flush
    cli(service, "jobs", "run")
    _assert_one_session_in_its_hour(store, agent, session, now)


def test_a_late_span_from_an_earlier_hour_moves_the_session_row_to_that_hour(service, store) -> None:  # type: ignore[no-untyped-def]
    # sessions is keyed by the hour of the start (sql/0077_sessions_by_hour.sql): the row under the hour the session
    # left must be retired, or the session would count twice.
    agent = "early-" + dt.datetime.now().strftime("%H%M%S%f")
    now = dt.datetime.now(dt.UTC)
    base = floor_to(now - dt.timedelta(hours=3), 3600) + dt.timedelta(minutes=30)
    session = plan_fleet(agent, base, now, seed=12, count=1)[0]
    early = session.spans.pop()
    export(service.grpc_port, [session], session.spans)
    service.flush()
    cli(service, "jobs", "run")
    before = rows(store, "SELECT session_id, first_start FROM sessions FINAL WHERE agent_name = {a:String}", {"a": agent})
    assert [row["session_id"] for row in before] == [session.key]
    first_hour = bucket_of(min(s.start_ns for s in session.spans), 3600)
    early.start_ns = min(s.start_ns for s in session.spans) - 70 * 60 * 10**9  # a span that started an hour earlier
    session.spans.append(early)
    export(service.grpc_port, [session], [early])
    service.flush()
    service.flush()  # the context repair gives the span its trace's session
    cli(service, "jobs", "run")
    want = _assert_one_session_in_its_hour(store, agent, session, now)
    assert bucket_of(want["first_start_ns"], 3600) != first_hour


def test_budgets_reach_the_rollups_and_metrics(service, store, fleet, tmp_path) -> None:  # type: ignore[no-untyped-def]
    since, until = fleet["base"], fleet["base"] + dt.timedelta(hours=3)
    chosen = [r for r in fleet["expected"].values() if since <= bucket_of(r["first_start_ns"], 60) < until]
    cost_p95 = session_group_figures(chosen)["cost_p95"]
    path = tmp_path / "budgets.toml"
    path.write_text(f'[agents."{fleet["agent"]}"]\ncost_per_session_p95_usd = {cost_p95 / 2}\ndaily_spend_usd = 1000\n')
    # The service's own runner, whose scheduled passes would otherwise recompute these hours without the
    # budgets file between this pass and the reads below.
    runner, settings = service.jobs, service.jobs.settings
    runner.settings = settings.model_copy(update={"budgets_file": path})
    try:
        runner.rollups_range(since, until)
        budgets = rows(store, "SELECT DISTINCT budget_cost_p95_usd, budget_daily_spend_usd FROM rollup_agents_live "
                              "WHERE agent_name = {a:String} AND bucket < {u:DateTime}", {"a": fleet["agent"], "u": until.strftime("%Y-%m-%d %H:%M:%S")})
        group = _metrics(service, fleet["agent"], since, until, "total")["groups"][0]
    finally:
        runner.settings = settings
    assert budgets == [{"budget_cost_p95_usd": cost_p95 / 2, "budget_daily_spend_usd": 1000.0}]
    assert group["budget"]["cost_p95_status"] == "over" and group["budget"]["daily_spend_status"] == "ok"
    assert close(group["budget"]["max_daily_spend_usd"], max(
        sum(r["cost_usd"] for r in chosen if floor_to(bucket_of(r["first_start_ns"], 1), 86400) == day)
        for day in {floor_to(bucket_of(r["first_start_ns"], 1), 86400) for r in chosen}))
