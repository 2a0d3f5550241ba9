"""The jobs' pure parts: percentile definitions and their error bound (hypothesis against a brute force),
the session-rollup percentiles, budgets and time ranges."""

from __future__ import annotations

import datetime as dt
import math
import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.budgets import BudgetError, load_budgets
from jobs.percentiles import (
    ALPHA,
    histogram_key,
    histogram_percentile,
    histogram_percentiles,
    merge_histograms,
    nearest_rank,
)
from jobs.rollup_math import group_percentiles
from jobs.time_ranges import chunks, iso_week, parse_moment, previous_week

durations = st.lists(st.one_of(st.just(0), st.integers(1, 10**13)), min_size=1, max_size=300)


def brute_rank(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered) / 100)) - 1]


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=200), st.sampled_from([50, 95, 99]))
def test_nearest_rank_is_the_classic_definition(values: list[float], p: int) -> None:
    assert nearest_rank(values, p) == brute_rank(values, p)


@settings(max_examples=200)
@given(durations, st.sampled_from([50, 95, 99]))
def test_histogram_percentile_is_within_alpha(values: list[int], p: int) -> None:
    hist: dict[int, int] = {}
    for value in values:
        hist[histogram_key(value)] = hist.get(histogram_key(value), 0) + 1
    exact = brute_rank(values, p)
    assert abs(histogram_percentile(hist, p) - exact) <= ALPHA * exact * (1 + 1e-9)  # type: ignore[operator]


@settings(max_examples=50, deadline=None)
@given(durations, st.integers(1, 6), st.integers(0, 2**32))
def test_merged_bucket_histograms_give_the_range_percentile(values: list[int], buckets: int, seed: int) -> None:
    """Split the calls into buckets, keep one histogram per bucket, merge: as good as one histogram of all."""
    rng = random.Random(seed)
    rows: dict[int, dict[int, int]] = {}
    for value in values:
        cell = rows.setdefault(rng.randrange(buckets), {})
        cell[histogram_key(value)] = cell.get(histogram_key(value), 0) + 1
    frame = pl.DataFrame({"g": [0] * len(rows),
                          "h": [[{"key": k, "value": v} for k, v in sorted(cell.items())] for cell in rows.values()]},
                         schema={"g": pl.Int64, "h": pl.List(pl.Struct({"key": pl.UInt16, "value": pl.UInt64}))})
    merged = histogram_percentiles(merge_histograms(frame, ["g"], "h"), "h", "ms")
    for p in (50, 95, 99):
        exact = brute_rank(values, p) / 1e6
        assert abs(merged.item(0, f"ms_p{p}") - exact) <= ALPHA * exact * (1 + 1e-9) + 1e-12


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(0, 100, allow_nan=False)), min_size=1, max_size=200))
def test_group_percentiles_match_brute_force(pairs: list[tuple[int, float]]) -> None:
    frame = pl.DataFrame({"_g": [g for g, _ in pairs], "v": [v for _, v in pairs]})
    got = {row["_g"]: row for row in group_percentiles(frame, pl.col("v"), "x").iter_rows(named=True)}
    for group in {g for g, _ in pairs}:
        values = [v for g, v in pairs if g == group]
        for p in (50, 95, 99):
            assert got[group][f"x_p{p}"] == brute_rank(values, p)


def test_budgets_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "budgets.toml"
    path.write_text('[agents.support]\ncost_per_session_p95_usd = 0.25\ndaily_spend_usd = 400\n[agents.other]\ndaily_spend_usd = 5\n')
    rows = {row["agent_name"]: row for row in load_budgets(path).iter_rows(named=True)}
    assert rows["support"]["budget_cost_p95_usd"] == 0.25 and rows["other"]["budget_cost_p95_usd"] is None
    path.write_text('[agents.support]\ncost_p95 = 1\n')
    with pytest.raises(BudgetError, match="cost_p95"):
        load_budgets(path)
    assert load_budgets(None).is_empty()


def test_time_ranges() -> None:
    assert iso_week("2026-W47") == (dt.datetime(2026, 11, 16, tzinfo=dt.UTC), dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    assert previous_week(dt.datetime(2026, 11, 23, 0, 0, 1, tzinfo=dt.UTC)) == "2026-W47"
    with pytest.raises(ValueError):
        iso_week("2026-47")
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    assert parse_moment("24h", now) == now - dt.timedelta(hours=24)
    assert parse_moment("2026-11-20T08:00", now) == dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
    parts = list(chunks(dt.datetime(2026, 11, 20, 5, tzinfo=dt.UTC), dt.datetime(2026, 11, 21, 7, tzinfo=dt.UTC), 24))
    assert [(a.hour, b.day, b.hour) for a, b in parts] == [(5, 21, 0), (0, 21, 7)]
