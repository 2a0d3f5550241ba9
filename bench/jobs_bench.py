"""Jobs bench: full recompute and one incremental minute of the sessions + rollups jobs over N stored spans.

Fills a fresh embedded store (a temp dir unless --data-dir) straight from SQL (sql/queries/bench_fill_spans.sql:
sessions of --spans-per-session spans spread over --days, ingested_at following start_time), merges the
spans parts as background merges would (--no-settle to skip), then times:
- full recompute: JobRunner.full_recompute() (every session, every rollup hour), --repeat times, each after
  the jobs' tables are merged (OPTIMIZE ... FINAL, untimed) as background merges would leave them;
- one incremental minute: one more minute of sessions arrives (ingested now, starting a minute ago) and
  JobRunner.incremental_pass() runs, --repeat times, each with a new minute.
Prints a table and writes bench/results/jobs-<timestamp>.json.

    .venv/bin/python bench/jobs_bench.py                      # 10M spans, 1M sessions over 7 days
    .venv/bin/python bench/jobs_bench.py --spans 1000000      # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jobs.runner import JobRunner  # noqa: E402
from jobs.time_ranges import param  # noqa: E402
from spanledger.settings import load_settings  # noqa: E402
from store import open_store  # noqa: E402

TENANT = "bench"
JOB_TABLES = ("sessions", "rollup_agents", "rollup_calls", "rollup_generations")  # merged before each full recompute


def fill(store, first_session: int, sessions: int, start: dt.datetime, step_ms: int, agents: int,
         ingested_floor: dt.datetime, spans_per_session: int) -> None:
    store.run("bench_fill_spans", {"tenant": TENANT, "first": first_session, "sessions": sessions, "start": param(start)[:-3],
                                   "step_ms": step_ms, "agents": agents, "ingest_delay_ms": 30_000,
                                   "ingested_floor": param(ingested_floor)[:-3], "spans_per_session": spans_per_session})


def fleet_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The store a bench fills, shared with bench/ui_bench.py."""
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--spans-per-session", type=int, default=10)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--agents", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", help="Store to fill (default: a temp dir, removed afterwards).")
    return parser


def main() -> int:
    parser = fleet_arguments(argparse.ArgumentParser(description=__doc__.split("\n\n")[0]))
    parser.add_argument("--reuse", action="store_true", help="The store in --data-dir is already filled: only time the jobs.")
    parser.add_argument("--no-settle", action="store_true", help="Do not merge the spans parts after filling.")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="spanledger-jobs-bench-"))
    settings = load_settings(data_dir=str(data_dir), jobs_enabled=False)
    store = open_store(settings)
    runner = JobRunner(store, settings)
    sessions = args.spans // args.spans_per_session
    span_seconds = args.days * 86400
    step_ms = max(1, int(span_seconds * 1000 / sessions))
    per_minute = max(1, 60_000 // step_ms)
    now = runner.now()
    result: dict = {"spans": sessions * args.spans_per_session, "sessions": sessions, "spans_per_session": args.spans_per_session,
                    "days": args.days, "agents": args.agents, "sessions_per_minute": per_minute, "cpus": os.cpu_count(),
                    "settled": not args.no_settle}
    try:
        if not args.reuse:
            began = time.perf_counter()
            batch = max(1, 1_000_000 // args.spans_per_session)
            start = now - dt.timedelta(seconds=span_seconds)
            for first in range(0, sessions, batch):
                count = min(batch, sessions - first)
                fill(store, first, count, start + dt.timedelta(milliseconds=first * step_ms), step_ms, args.agents,
                     dt.datetime(1970, 1, 1, tzinfo=dt.UTC), args.spans_per_session)
                print(f"\rfilled {(first + count) * args.spans_per_session:,} spans", end="", flush=True)
            print()
            result["fill_seconds"] = round(time.perf_counter() - began, 1)
            if not args.no_settle:
                began = time.perf_counter()
                store.run("bench_settle_spans")
                result["settle_seconds"] = round(time.perf_counter() - began, 1)
        full = []
        for _ in range(args.repeat):
            for table in JOB_TABLES:
                store.run("bench_settle_table", {"table": table})
            began = time.perf_counter()
            summary = runner.full_recompute()
            full.append(time.perf_counter() - began)
            print(f"full recompute: {full[-1]:.2f} s ({summary['sessions']:,} sessions, {summary['hours']} hours)")
        runner.incremental_pass()  # the first pass after a full recompute re-reads its late window: not timed
        minute = []
        next_session = sessions + 10_000_000
        for _ in range(args.repeat):
            now = runner.now()
            fill(store, next_session, per_minute, now - dt.timedelta(minutes=1), step_ms, args.agents, now, args.spans_per_session)
            next_session += per_minute
            began = time.perf_counter()
            summary = runner.incremental_pass()
            minute.append(time.perf_counter() - began)
            print(f"incremental minute: {minute[-1]:.3f} s ({summary['sessions']} sessions, {summary['hours']} hours)")
        result["full_recompute_seconds"] = [round(value, 2) for value in full]
        result["incremental_minute_seconds"] = [round(value, 3) for value in minute]
        result["full_recompute_median"] = round(statistics.median(full), 2)
        result["incremental_minute_median"] = round(statistics.median(minute), 3)
    finally:
        store.close()
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    out = ROOT / "bench" / "results" / f"jobs-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
