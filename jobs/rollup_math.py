"""Session rollup math: per-session values in, one row per (tenant, agent, version, environment, segment,
bucket) out. Pure Polars, shared by the rollup job (buckets of 1 minute and 1 hour) and the metrics read
path (any grouping over any range), so both compute every figure the same way.

A session counts in the bucket its first span started in. Success, error (failed) and handoff
(escalated) rates are over finished sessions; session latency and cost per session percentiles are
exact nearest-rank values over finished sessions; spend, tokens and counts include running sessions.
"""

from __future__ import annotations

import polars as pl

from jobs.percentiles import PERCENTILES

SESSION_KEYS = ["tenant", "agent_name", "agent_version", "environment", "segment"]
GRAINS = {"1m": "1m", "1h": "1h"}
FIGURES_HEAD = ["sessions", "finished", "running", "resolved", "escalated", "failed", "abandoned", "success_rate",
           "error_rate", "handoff_rate", "session_ms_p50", "session_ms_p95", "session_ms_p99", "cost_finished_usd",
           "cost_mean", "cost_p50", "cost_p95", "cost_p99", "cost_max", "spend_usd"]
SUMS = ["spans", "model_calls", "tool_calls", "error_spans", "unpriced_spans", "input_tokens", "output_tokens",
        "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"]
FIGURES = FIGURES_HEAD + SUMS


def session_figures(sessions: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """The session figures per group of by (columns of sessions), one row per group that has sessions."""
    # One integer id per group: grouping and sorting on it is much cheaper than on five strings and a time.
    keyed = sessions.with_columns(pl.struct(by).rank("dense").alias("_g"))
    finished = pl.col("finished") == 1
    done = finished.sum()

    def outcome(name: str) -> pl.Expr:
        return (pl.col("outcome") == name).sum()

    def rate(name: str) -> pl.Expr:
        return pl.when(done > 0).then(outcome(name) / done).otherwise(None)

    cost = pl.col("cost_usd").filter(finished)
    counts = keyed.group_by("_g").agg(
        *[pl.col(name).first() for name in by],
        pl.len().cast(pl.UInt64).alias("sessions"),
        done.cast(pl.UInt64).alias("finished"),
        (pl.len() - done).cast(pl.UInt64).alias("running"),
        *[outcome(name).cast(pl.UInt64).alias(name) for name in ("resolved", "escalated", "failed", "abandoned")],
        rate("resolved").alias("success_rate"),
        rate("failed").alias("error_rate"),
        rate("escalated").alias("handoff_rate"),
        cost.sum().alias("cost_finished_usd"),
        pl.when(done > 0).then(cost.sum() / done).otherwise(None).alias("cost_mean"),
        cost.max().alias("cost_max"),
        pl.col("cost_usd").sum().alias("spend_usd"),
        *[pl.col(name).sum().cast(pl.UInt64).alias(name) for name in SUMS],
    )
    done_only = keyed.filter(finished)
    latency = group_percentiles(done_only, pl.col("duration_ns").cast(pl.Float64) / 1e6, "session_ms")
    costs = group_percentiles(done_only, pl.col("cost_usd"), "cost")
    # _g is the dense rank of the group's keys, so its order is the keys' order: sorting on it is cheap.
    return (counts.join(latency, on="_g", how="left").join(costs, on="_g", how="left")
            .sort("_g").select(*by, *FIGURES))


def group_percentiles(frame: pl.DataFrame, value: pl.Expr, prefix: str) -> pl.DataFrame:
    """Exact nearest-rank <prefix>_p50/_p95/_p99 of value per group id _g: one sort of the whole frame on
    (group, value), then each group's rank read by position (its run of rows starts where the last ended)."""
    ranked = frame.select("_g", value.alias("_v")).sort(["_g", "_v"])
    runs = ranked.get_column("_g").rle().struct.unnest()  # one row per group, in _g order: len, value
    sizes = runs.get_column("len").cast(pl.Int64)
    starts = sizes.cum_sum() - sizes
    values = ranked.get_column("_v")
    columns = {"_g": runs.get_column("value")}
    for p in PERCENTILES:
        ranks = (-((-(sizes * round(p * 10))) // 1000)).clip(lower_bound=1)
        columns[f"{prefix}_p{p}"] = values.gather(starts + ranks - 1)
    return pl.DataFrame(columns)


def session_rollups(sessions: pl.DataFrame, grain: str, budgets: pl.DataFrame) -> pl.DataFrame:
    """Rows of rollup_agents for one grain ('1m' or '1h'), budgets joined by agent name."""
    bucketed = sessions.with_columns(pl.col("first_start").dt.truncate(GRAINS[grain]).alias("bucket"))
    figures = session_figures(bucketed, [*SESSION_KEYS, "bucket"])
    return (figures.with_columns(pl.lit(grain).alias("grain"))
            .join(budgets, on="agent_name", how="left"))
