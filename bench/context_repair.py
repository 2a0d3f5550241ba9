"""Context repair bench: loads of bench traffic one after another, with the context repair after every --every.

Fills a fresh embedded store (a temp dir) through the store's own load (Store.load_otlp_batch, the statements
a running server uses) with requests from bench/payloads.py: two agent services' fleets of sessions in progress,
each session's spans over several requests, its root last, as the ingest bench sends them. After every --every
loads it runs the context repair (jobs/context_repair.py) over the traces touched since the last run, as the
server's loop does. No server, no gRPC: it times the load and the repair alone, in the process's CPU time.

    .venv/bin/python bench/context_repair.py                      # 30 loads of 204,800 spans, a repair after each
    .venv/bin/python bench/context_repair.py --every 15           # a repair every 15 loads (about 30 s at 100,000 spans/s)
    .venv/bin/python bench/context_repair.py --loads 56 --every 1000 --jobs-every 8   # no repair, a jobs pass every 8 loads
    .venv/bin/python bench/context_repair.py --handoffs --every 15   # traces of two agents: the repair also walks them

With --jobs-every N it also runs the jobs' incremental pass (jobs/runner.py) after every N loads and prints how
long its session pass and its rollups took (wall time): a pass costs more the more its hour already holds.

Prints one line per load and writes bench/results/repair-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from payloads import Fleet  # noqa: E402

from ingest import otlp_format  # noqa: E402
from ingest.redaction import Redaction  # noqa: E402
from jobs.context_repair import OVERLAP_S, repair_span_context  # noqa: E402
from jobs.runner import JobRunner  # noqa: E402
from spanledger.settings import Settings  # noqa: E402
from store import open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--requests", type=int, default=400, help="512-span requests per load")
    parser.add_argument("--every", type=int, default=1, help="loads between two repairs")
    parser.add_argument("--jobs-every", type=int, default=0, help="loads between two jobs passes (0: no jobs)")
    parser.add_argument("--handoffs", action="store_true",
                        help="every session's agent hands off to a specialist halfway: traces of two agents, which the repair walks")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="spanledger-repair-bench-"))
    try:
        settings = Settings(data_dir=data / "store")
        store = open_store(settings)
        store.prepare()
        runner = JobRunner(store, settings)
        if args.jobs_every:
            runner.incremental_pass()  # the first pass sets the watermark
        fleets = [Fleet(seed * 100_003, 512, 97.0, args.handoffs) for seed in range(2)]
        params = {"tenant": "default", "max_attribute_bytes": 16384, "max_attributes": 128, **Redaction(salt="bench").params()}
        window = dt.timedelta(hours=24)
        since = dt.datetime.now(dt.UTC) - window
        runs = []
        for load in range(args.loads):
            batch = data / f"load-{load}.bin"
            with batch.open("wb") as out:
                for call in range(args.requests):
                    body = fleets[call % 2].next_request()
                    out.write(otlp_format.frame_header(len(body)))
                    out.write(body)
            started = time.process_time()
            store.load_otlp_batch(batch, otlp_format.STRUCTURE, otlp_format.FORMAT_SETTINGS, params)
            loaded = time.process_time()
            batch.unlink()
            repair = None
            if (load + 1) % args.every == 0:
                at = dt.datetime.now(dt.UTC)
                repair_span_context(store, since, window)
                since = at - dt.timedelta(seconds=OVERLAP_S)
                repair = time.process_time() - loaded
            jobs = runner.incremental_pass() if args.jobs_every and (load + 1) % args.jobs_every == 0 else None
            spans = args.requests * 512
            runs.append({"load": load + 1, "load_us_per_span": (loaded - started) / spans * 1e6, "repair_s": repair, "jobs": jobs})
            print(f"load {load + 1:3d}: load {(loaded - started) / spans * 1e6:5.2f} µs a span"
                  + (f", repair {repair:6.2f} s" if repair is not None else "")
                  + (f", jobs pass: sessions {jobs['session_seconds']:6.2f} s ({jobs['sessions']:,} keys), rollups "
                     f"{jobs['rollup_seconds']:6.2f} s" if jobs is not None else ""), flush=True)
        repairs = [run["repair_s"] for run in runs if run["repair_s"] is not None]
        for first in range(0, len(repairs), 10):
            chunk = repairs[first:first + 10]
            print(f"repairs {first + 1}-{first + len(chunk)}: mean {sum(chunk) / len(chunk):.1f} s, max {max(chunk):.1f} s")
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(exist_ok=True)
        path = out_dir / f"repair-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps({"args": vars(args), "runs": runs}, indent=1))
        print(f"written {path.relative_to(ROOT)}")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
