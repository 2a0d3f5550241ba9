"""The regression rule's decision on its own (alerts/regression.py), on per-session frames built here:
baselines (previous version, named, trailing 7 days), rates and percentiles, sample size and significance."""

from __future__ import annotations

import datetime as dt

import polars as pl

from alerts.regression import compare, regression_observations
from alerts.rules import parse_rules

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def frame(rows: list[tuple[str, float, str, float, float]]) -> pl.DataFrame:
    """(version, hours ago, outcome, cost, seconds) per finished session of agent 'a'."""
    return pl.DataFrame({
        "tenant": ["default"] * len(rows), "agent_name": ["a"] * len(rows), "agent_version": [r[0] for r in rows],
        "environment": ["prod"] * len(rows), "segment": [""] * len(rows), "finished": [1] * len(rows),
        "first_start": [NOW - dt.timedelta(hours=r[1]) for r in rows], "outcome": [r[2] for r in rows],
        "cost_usd": [r[3] for r in rows], "duration_ns": [int(r[4] * 1e9) for r in rows],
        **{name: [0] * len(rows) for name in ("spans", "model_calls", "tool_calls", "error_spans", "unpriced_spans", "input_tokens",
                                              "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")}})


def sessions(version: str, hours_ago: float, n: int, failed: int = 0, cost: float = 0.1, spread: float = 0.0) -> list:  # type: ignore[type-arg]
    return [(version, hours_ago + i / 1000, "failed" if i < failed else "resolved", cost + spread * (i % 10) / 10, 10.0)
            for i in range(n)]


def rule(**fields):  # type: ignore[no-untyped-def]
    return parse_rules({"rules": [{"name": "r", "kind": "regression", **fields}]}, "test").rules[0]


def test_previous_baseline_is_the_version_first_seen_before() -> None:
    data = frame(sessions("1.0", 100, 200) + sessions("2.0", 30, 200) + sessions("3.0", 5, 200, failed=60))
    found = {o.labels["version"]: o for o in regression_observations(
        rule(metric="success_rate", baseline="previous", window="24h", min_sessions=50, margin=0.02), data, NOW)}
    assert set(found) == {"3.0"}  # 1.0 and 2.0 have no sessions in the window
    assert found["3.0"].breached and found["3.0"].details["baseline_version"] == "2.0"


def test_named_and_trailing_baselines() -> None:
    data = frame(sessions("1.0", 100, 200) + sessions("2.0", 5, 200, failed=40))
    named = regression_observations(rule(metric="error_rate", baseline="1.0", window="24h", min_sessions=50, margin=0.05), data, NOW)
    assert [o.breached for o in named] == [True] and named[0].value == 0.2 and named[0].threshold == 0.0
    trailing = regression_observations(rule(metric="error_rate", baseline="trailing_7d", window="24h", min_sessions=50), data, NOW)
    assert trailing[0].details["baseline_version"] == "trailing 7d" and trailing[0].details["baseline_sessions"] == 200


def test_rate_needs_margin_significance_and_samples() -> None:
    base = frame(sessions("1", 1, 400, failed=40))  # 90% success
    assert compare("success_rate", frame(sessions("2", 1, 400, failed=80)), base, 0.02, 0.05, 100).breached  # 80%: significant
    assert not compare("success_rate", frame(sessions("2", 1, 400, failed=60)), base, 0.02, 0.05, 100).breached  # 85%: p = 0.10
    assert not compare("success_rate", frame(sessions("2", 1, 400, failed=46)), base, 0.02, 0.05, 100).breached  # 88.5%: within margin
    assert not compare("success_rate", frame(sessions("2", 1, 60, failed=9)), base, 0.02, 0.05, 50).breached  # 85% of 60: noise
    short = compare("success_rate", frame(sessions("2", 1, 40, failed=40)), base, 0.02, 0.05, 50)
    assert not short.breached and "not enough data" in short.reason


def test_percentile_regression_needs_a_significant_tail() -> None:
    base = frame(sessions("1", 1, 300, cost=0.10, spread=0.05))  # costs 0.100 .. 0.145
    pricier = frame(sessions("2", 1, 300, cost=0.10, spread=0.10))  # p95 0.19: 31% over, a third of sessions above the limit
    result = compare("cost_p95", pricier, base, 0.10, 0.05, 100)
    assert result.breached and result.candidate is not None and result.baseline is not None
    assert result.candidate > result.baseline * 1.1
    same = compare("cost_p95", frame(sessions("2", 1, 300, cost=0.10, spread=0.05)), base, 0.10, 0.05, 100)
    assert not same.breached and same.candidate == same.baseline


def threshold(**fields):  # type: ignore[no-untyped-def]
    return parse_rules({"rules": [{"name": "t", "kind": "threshold", **fields}]}, "test").rules[0]


def test_threshold_against_the_budgets_file() -> None:
    from alerts.observations import threshold_observations

    data = frame(sessions("1.0", 0.1, 20, cost=0.10)).vstack(
        frame(sessions("1.0", 0.1, 20, cost=0.10)).with_columns(pl.lit("b").alias("agent_name")))
    budgets = pl.DataFrame({"agent_name": ["a"], "budget_cost_p95_usd": [0.05], "budget_daily_spend_usd": [None]},
                           schema={"agent_name": pl.String, "budget_cost_p95_usd": pl.Float64, "budget_daily_spend_usd": pl.Float64})
    found = {o.labels["agent"]: o for o in threshold_observations(
        threshold(metric="cost_p95", above="budget", group_by=["agent"]), data, pl.DataFrame(), pl.DataFrame(), budgets)}
    assert found["a"].breached and found["a"].threshold == 0.05 and abs((found["a"].value or 0) - 0.10) < 1e-12
    assert not found["b"].breached and "no budget set" in found["b"].summary


def test_threshold_on_tool_error_rate_and_min_sessions() -> None:
    from alerts.observations import threshold_observations

    calls = pl.DataFrame({"tenant": ["default"] * 3, "agent_name": ["a", "a", "b"], "agent_version": ["1", "1", "1"],
                          "environment": ["p"] * 3, "segment": [""] * 3, "kind": ["tool", "model", "tool"],
                          "calls": [50, 100, 3], "errors": [10, 90, 1]})
    found = {o.labels["agent"]: o for o in threshold_observations(
        threshold(metric="tool_error_rate", above=0.1, group_by=["agent"], min_sessions=5), pl.DataFrame(), calls, pl.DataFrame(),
        pl.DataFrame())}
    assert found["a"].breached and found["a"].value == 0.2  # the model calls' errors do not count
    assert not found["b"].breached and "not enough data" in found["b"].summary  # 3 calls < 5
