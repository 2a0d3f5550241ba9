"""Load profile: the CPU a load into the store spends a span, by statement, in one process without the server.

Writes --loads batches of the ingest bench's requests (bench/payloads.py: --requests requests of 512 spans each,
from two agent services) and loads each through Store.load_otlp_batch, the path the server's loader takes, on a
fresh embedded store with merges stopped (--merges leaves them on). Each statement the load runs is timed (process
CPU and wall). An empty load, timed the same way, gives what a load costs before it reads a byte (planning).

Variants replace a named query (sql/queries/<name>.sql) with another file, to compare a change against main in
the same process: loads alternate between the variants, so the machine's drift falls on all of them alike.

    .venv/bin/python bench/load_profile.py
    .venv/bin/python bench/load_profile.py --variant layered=insert_otlp_spans:/tmp/parse.sql --loads 8

Prints medians and minima per variant and writes bench/results/load-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from payloads import Fleet  # noqa: E402

from ingest import otlp_format  # noqa: E402
from ingest.redaction import Redaction  # noqa: E402
from spanledger.settings import Settings  # noqa: E402
from store import open_store, sql_files  # noqa: E402

SPANS_PER_REQUEST = 512
LOAD_QUERIES = ("insert_otlp_spans", "move_staged_spans", "clear_staged_spans")  # what Store.load_otlp_batch runs


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """'name=query:path[,query:path]' -> (name, {query: SQL text})."""
    name, _, spec = text.partition("=")
    overrides = {}
    for part in spec.split(","):
        query, _, path = part.partition(":")
        overrides[query] = Path(path).read_text()
    return name, overrides


class StatementClock:
    """Wraps a backend's execute and insert_file to time each statement by the named query it is."""

    def __init__(self, backend: Any, names: Callable[[], dict[str, str]]) -> None:
        self.names = names
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        for method in ("execute", "insert_file"):
            setattr(backend, method, self._timed(getattr(backend, method)))

    def _timed(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(sql: str, *args: Any, **kwargs: Any) -> Any:
            cpu, wall = time.process_time(), time.monotonic()
            try:
                return call(sql, *args, **kwargs)
            finally:
                name = self.names().get(sql, "other")
                self.cpu[name] += time.process_time() - cpu
                self.wall[name] += time.monotonic() - wall
        return timed

    def take(self) -> tuple[dict[str, float], dict[str, float]]:
        cpu, wall = dict(self.cpu), dict(self.wall)
        self.cpu.clear()
        self.wall.clear()
        return cpu, wall


def write_batch(path: Path, fleets: list[Fleet], requests: int) -> int:
    with path.open("wb") as handle:
        for index in range(requests):
            request = fleets[index % len(fleets)].next_request()
            handle.write(otlp_format.frame_header(len(request)))
            handle.write(request)
    return requests * SPANS_PER_REQUEST


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=6, help="Timed loads per variant (after one untimed warm-up each).")
    parser.add_argument("--requests", type=int, default=400, help="Requests of 512 spans per load.")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=QUERY:PATH",
                        help="Load with sql/queries/QUERY.sql replaced by PATH (repeatable; main always runs).")
    parser.add_argument("--merges", action="store_true", help="Leave background merges on.")
    parser.add_argument("--data-dir", help="Store to use (default: a temp dir, removed afterwards).")
    args = parser.parse_args()

    variants = [("main", {})] + [parse_variant(text) for text in args.variant]
    shipped = sql_files.query
    active: dict[str, str] = {}
    sql_files.query = lambda name: active.get(name) or shipped(name)  # type: ignore[assignment]

    with tempfile.TemporaryDirectory(prefix="spanledger-load-") as scratch:
        data_dir = Path(args.data_dir or scratch)
        settings = Settings(data_dir=data_dir)
        store = open_store(settings)
        if not args.merges:
            store.backend.execute("SYSTEM STOP MERGES")
        clock = StatementClock(store.backend, lambda: {sql_files.query(name): name for name in LOAD_QUERIES})
        redaction = Redaction(detectors=tuple(settings.redact_detectors), salt="load-profile")
        params = {"tenant": "default", "max_attribute_bytes": settings.max_attribute_bytes,
                  "max_attributes": settings.max_attributes_per_span, **redaction.params()}
        fleets = [Fleet(index * 100_003, SPANS_PER_REQUEST, 100) for index in range(2)]
        empty, batch = data_dir / "empty.bin", data_dir / "batch.bin"
        empty.write_bytes(otlp_format.frame_header(0))

        def load(path: Path) -> tuple[float, float, dict[str, float]]:
            clock.take()
            cpu, wall = time.process_time(), time.monotonic()
            store.load_otlp_batch(path, otlp_format.STRUCTURE, otlp_format.FORMAT_SETTINGS, params)
            return time.process_time() - cpu, time.monotonic() - wall, clock.take()[0]

        results: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name, _ in variants}
        for round_index in range(args.loads + 1):
            for name, overrides in variants:
                active.clear()
                active.update(overrides)
                spans = write_batch(batch, fleets, args.requests)
                cpu, wall, statements = load(batch)
                planning = load(empty)[0]
                if round_index == 0:
                    continue  # warm-up
                into = results[name]
                into["load_cpu_us_per_span"].append(cpu / spans * 1e6)
                into["load_wall_us_per_span"].append(wall / spans * 1e6)
                into["empty_load_cpu_s"].append(planning)
                for statement, seconds in statements.items():
                    into[f"{statement}_cpu_us_per_span"].append(seconds / spans * 1e6)
            print(f"round {round_index}: " + "  ".join(
                f"{name} {results[name]['load_cpu_us_per_span'][-1]:.2f}" for name, _ in variants if round_index), flush=True)
        store.close()

    summary = {name: {key: {"median": statistics.median(values), "min": min(values)} for key, values in figures.items()}
               for name, figures in results.items()}
    print(f"\n{args.loads} loads of {args.requests * SPANS_PER_REQUEST:,} spans per variant, merges {'on' if args.merges else 'stopped'}"
          " (median / min):")
    for name, figures in summary.items():
        print(f"  {name}")
        for key, value in sorted(figures.items()):
            print(f"    {key:<40} {value['median']:8.3f} / {value['min']:.3f}")
    out = ROOT / "bench" / "results" / time.strftime("load-%Y%m%d-%H%M%S.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"loads": args.loads, "spans_per_load": args.requests * SPANS_PER_REQUEST, "merges": args.merges,
                               "variants": {name: overrides and list(overrides) for name, overrides in variants},
                               "results": {name: dict(figures) for name, figures in results.items()}, "summary": summary}, indent=1))
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
