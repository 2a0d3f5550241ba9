"""Percentiles: one definition (nearest rank) everywhere, exact on per-session values, and within a
stated relative error on call latencies, which are kept as mergeable log-bucket histograms.

Nearest rank: the p-th percentile of n values is the value at 1-based rank ceil(p * n / 100) of the
sorted values, so it is always one of the values (no interpolation) and 99% of values are <= p99.

Latency histogram: a duration d (ns) is counted under key 0 when d = 0, else under
key = 1 + ceil(ln d / ln GAMMA), GAMMA = (1 + ALPHA) / (1 - ALPHA). Key k >= 1 covers
(GAMMA^(k-2), GAMMA^(k-1)] and is read back as 2 GAMMA^(k-1) / (GAMMA + 1), which is within ALPHA
(relative) of every value in the bucket (DDSketch). Histograms merge by adding counts per key, so a
percentile over any range merges the bucket histograms and reads the bucket holding the nearest rank:
the result is within ALPHA of the exact nearest-rank value of all the calls in the range, however many
buckets were merged. The key is computed in SQL by sl_latency_key (sql/0020_rollup_calls_minute_detail.sql,
gamma bound as a parameter) and read back here; histogram_key mirrors it for tests.
"""

from __future__ import annotations

import math

import polars as pl

ALPHA = 0.01  # relative error bound of histogram percentiles
GAMMA = (1 + ALPHA) / (1 - ALPHA)
PERCENTILES = (50, 95, 99)


def rank_of(p: float, n: int) -> int:
    """The 1-based nearest rank of the p-th percentile among n values (n >= 1)."""
    # Per-mille integers keep ceil() away from float noise (0.95 * 20 is not exactly 19).
    return max(1, -(-round(p * 10) * n // 1000))


def nearest_rank(values: list[float], p: float) -> float | None:
    """The exact p-th percentile of values, or None for no values (reference implementation)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[rank_of(p, len(ordered)) - 1]


def histogram_key(duration_ns: int) -> int:
    """The histogram key of one duration (reference implementation of the SQL expression)."""
    if duration_ns <= 0:
        return 0
    return 1 + math.ceil(math.log(duration_ns) / math.log(GAMMA))


def key_value_ns(key: int) -> float:
    """The duration a histogram key stands for."""
    if key <= 0:
        return 0.0
    return 2 * GAMMA ** (key - 1) / (GAMMA + 1)


def histogram_percentile(hist: dict[int, int], p: float) -> float | None:
    """The p-th percentile (ns) of a histogram {key: count}, within ALPHA of the exact value."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = rank_of(p, total)
    seen = 0
    for key in sorted(hist):
        seen += hist[key]
        if seen >= rank:
            return key_value_ns(key)
    raise AssertionError("unreachable: counts add up to total")


def merge_histograms(frame: pl.DataFrame, by: list[str], hist: str) -> pl.DataFrame:
    """Adds the histograms in column hist (List of {key, value} structs, as Arrow maps arrive) per group."""
    exploded = (frame.select([*by, pl.col(hist).alias("_h")])
                .explode("_h").drop_nulls("_h").unnest("_h"))
    merged = (exploded.group_by([*by, "key"]).agg(pl.col("value").sum())
              .sort([*by, "key"])
              .group_by(by, maintain_order=True)
              .agg(pl.struct("key", "value").alias(hist)))
    return frame.select(by).unique(maintain_order=True).join(merged, on=by, how="left", nulls_equal=True)


def histogram_percentiles(frame: pl.DataFrame, hist: str, prefix: str, percentiles: tuple[int, ...] = PERCENTILES) -> pl.DataFrame:
    """Adds <prefix>_p50/_p95/_p99 (milliseconds) read from the histogram column hist of each row."""
    indexed = frame.with_row_index("_row")
    cells = (indexed.select("_row", pl.col(hist).alias("_h"))
             .explode("_h").drop_nulls("_h").unnest("_h")
             .sort("_row", "key")
             .with_columns(pl.col("value").cast(pl.Int64).cum_sum().over("_row").alias("_seen"),
                           pl.col("value").cast(pl.Int64).sum().over("_row").alias("_n")))
    picks = []
    for p in percentiles:
        rank = pl.max_horizontal(pl.lit(1, pl.Int64), -((-(pl.col("_n") * round(p * 10))) // 1000))
        picks.append(pl.col("key").filter(pl.col("_seen") >= rank).first().alias(f"_k{p}"))
    chosen = cells.group_by("_row").agg(picks)
    out = indexed.join(chosen, on="_row", how="left")
    values = []
    for p in percentiles:
        key = pl.col(f"_k{p}").cast(pl.Float64)
        ms = pl.when(key <= 0).then(0.0).otherwise(2 * pl.lit(GAMMA).pow(key - 1) / (GAMMA + 1)) / 1e6
        values.append(ms.alias(f"{prefix}_p{p}"))
    return out.with_columns(values).drop(["_row", *[f"_k{p}" for p in percentiles]])
