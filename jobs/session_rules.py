"""Session rules: from per-session span totals (sql/queries/jobs_session_totals.sql) to `sessions` rows.

Pure Polars, no I/O. The rules, as the README states them:
- Usage: a session's tokens and cost are the sum over its spans other than invoke_agent; invoke_agent
  spans count only when no other span of the session has usage (they usually repeat their children's).
- Finished: every trace of the session has its root span stored, or no span of it ended for the idle time.
- Outcome of a finished session, first rule that applies: an explicit outcome attribute on a root span
  (resolved | escalated | failed | abandoned; the last root that names one); a handoff span or handoff
  attribute -> escalated; the last root span's status ERROR -> failed; a trace whose root never arrived
  -> the idle outcome (abandoned by default); otherwise resolved. Unfinished sessions are 'running'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

OUTCOMES = ("resolved", "escalated", "failed", "abandoned")
USAGE = ("input", "output", "cache_read", "cache_write", "reasoning")
TOMBSTONE_OFFSET = dt.timedelta(microseconds=1)  # a tombstone never outranks a live row of the same pass


@dataclass(frozen=True)
class SessionRules:
    idle: dt.timedelta
    idle_outcome: str = "abandoned"


def session_rows(totals: pl.DataFrame, rules: SessionRules, now: dt.datetime, computed_at: dt.datetime) -> pl.DataFrame:
    """The `sessions` rows for one pass: live rows, and tombstones for keys that lost their spans or
    whose start moved to another hour (the tombstone takes the old row's key: sql/0077_sessions_by_hour.sql)."""
    live = _live_rows(totals.filter(pl.col("in_spans") == 1), rules, now, computed_at)
    gone = totals.filter((pl.col("in_spans") == 0) & (pl.col("in_prev") == 1))
    moved = totals.filter((pl.col("in_spans") == 1) & (pl.col("in_prev") == 1)
                          & (pl.col("prev_first_start").dt.truncate("1h") != pl.col("first_start").dt.truncate("1h")))
    stale = pl.concat([gone.select("tenant", "session_id", "prev_first_start"),
                       moved.select("tenant", "session_id", "prev_first_start")])
    return pl.concat([live, _tombstones(stale, live.schema, computed_at - TOMBSTONE_OFFSET)], how="vertical")


def _live_rows(frame: pl.DataFrame, rules: SessionRules, now: dt.datetime, computed_at: dt.datetime) -> pl.DataFrame:
    agent_counts = pl.col("direct_usage_spans") == 0  # no other span had usage: the agent spans' usage is the session's
    idle_since = pl.lit(now - rules.idle, dtype=pl.Datetime("ns", "UTC"))
    finished = (pl.col("rooted_traces") >= pl.col("traces")) | (pl.col("last_end") <= idle_since)
    explicit = pl.col("outcome_attribute").str.to_lowercase()
    outcome = (pl.when(~finished).then(pl.lit("running"))
               .when(explicit.is_in(list(OUTCOMES))).then(explicit)
               .when(pl.col("handoffs") > 0).then(pl.lit("escalated"))
               .when((pl.col("rooted_traces") > 0) & (pl.col("final_root_status") == "ERROR")).then(pl.lit("failed"))
               .when(pl.col("rooted_traces") < pl.col("traces")).then(pl.lit(rules.idle_outcome))
               .otherwise(pl.lit("resolved")))
    usage = [(pl.col(f"{name}_direct") + pl.when(agent_counts).then(pl.col(f"{name}_agent")).otherwise(0)).alias(f"{name}_tokens")
             for name in USAGE]
    return frame.select(
        "tenant", "session_id", "agent_name", "agent_version", "environment", "segment", "user_id",
        pl.when(pl.col("rooted_traces") > 0).then(pl.col("first_span_id")).otherwise(pl.lit("")).alias("root_span_id"),
        "first_start", "last_end",
        (pl.col("last_end") - pl.col("first_start")).dt.total_nanoseconds().clip(lower_bound=0).cast(pl.UInt64).alias("duration_ns"),
        "traces", "spans", "model_calls", "tool_calls", "error_spans", "handoffs",
        *usage,
        (pl.col("cost_direct") + pl.when(agent_counts).then(pl.col("cost_agent")).otherwise(0.0)).alias("cost_usd"),
        (pl.col("unpriced_direct") + pl.when(agent_counts).then(pl.col("unpriced_agent")).otherwise(0)).alias("unpriced_spans"),
        (agent_counts & ((pl.col("input_agent") + pl.col("output_agent") > 0) | (pl.col("cost_agent") > 0))).cast(pl.UInt8).alias("agent_usage_counted"),
        finished.cast(pl.UInt8).alias("finished"),
        outcome.alias("outcome"),
        pl.when(pl.col("in_prev") == 1).then(pl.col("prev_first_start")).otherwise(pl.col("first_start")).alias("prev_first_start"),
        pl.lit(computed_at, dtype=pl.Datetime("us", "UTC")).alias("computed_at"),
        pl.lit(0, dtype=pl.UInt8).alias("is_deleted"),
    )


def _tombstones(stale: pl.DataFrame, schema: pl.Schema, computed_at: dt.datetime) -> pl.DataFrame:
    """Rows that hide (tenant, session_id) under the hour of prev_first_start."""
    columns = []
    for name, dtype in schema.items():
        if name in ("tenant", "session_id"):
            columns.append(pl.col(name))
        elif name in ("first_start", "last_end", "prev_first_start"):
            columns.append(pl.col("prev_first_start").cast(dtype).alias(name))
        elif name == "computed_at":
            columns.append(pl.lit(computed_at, dtype=dtype).alias(name))
        elif name == "is_deleted":
            columns.append(pl.lit(1, dtype=dtype).alias(name))
        elif dtype == pl.String:
            columns.append(pl.lit("", dtype=dtype).alias(name))
        else:
            columns.append(pl.lit(0, dtype=dtype).alias(name))
    return stale.select(columns)
