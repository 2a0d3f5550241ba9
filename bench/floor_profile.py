"""Floor profile: what every load pays before the precedence table, the redaction or the context fill.

Two parts of a load cannot be left out, only made cheaper: the Protobuf decode of the spooled requests and the write
of the rows into `spans`. This times both on the ingest bench's requests (bench/payloads.py), in one process on a
fresh embedded store with merges stopped, each variant alternating with the others (medians and minima, µs of CPU
a span):

- decode: ClickHouse's Protobuf format on a batch, with the shipped schema (`full`), with each attribute value
  read as its raw bytes instead of the AnyValue's fields (`raw_values`), and with the keys only (`keys_only`);
- write: one load's rows from a Memory table into `spans` itself (its views included), into a table made like it
  without views (`copy`), and into that copy without skip indexes, without codecs, and with LZ4 for the maps.

    .venv/bin/python bench/floor_profile.py

Writes bench/results/floor-<timestamp>.json. The README (Ingest performance) gives the figures and what they mean.
"""

from __future__ import annotations

import argparse
import json
import re
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

from load_profile import SPANS_PER_REQUEST, write_batch  # noqa: E402
from payloads import Fleet  # noqa: E402

from ingest import otlp_format  # noqa: E402
from ingest.redaction import Redaction  # noqa: E402
from spanledger.settings import Settings  # noqa: E402
from store import open_store, sql_files  # noqa: E402

_KEY_VALUE = "message KeyValue { string key = 1; AnyValue value = 2; }"
DECODES = {  # name -> (structure, schema)
    "full": (otlp_format.STRUCTURE, otlp_format.SCHEMA_TEXT),
    "raw_values": (otlp_format.STRUCTURE.replace(otlp_format._KEY_VALUES, "Array(Tuple(key String, value String))"),
                   otlp_format.SCHEMA_TEXT.replace(_KEY_VALUE, "message KeyValue { string key = 1; bytes value = 2; }")),
    "keys_only": (otlp_format.STRUCTURE.replace(otlp_format._KEY_VALUES, "Array(Tuple(key String))"),
                  otlp_format.SCHEMA_TEXT.replace(_KEY_VALUE, "message KeyValue { string key = 1; }")),
}
_CODEC = re.compile(r" CODEC\((?:[^()]|\([^()]*\))*\)")
_MAP_CODEC = re.compile(r"(Map\(LowCardinality\(String\), String\)|String\)\)\)\)) CODEC\(ZSTD\(1\)\)")
TABLES = {  # name -> how its DDL comes from spans' own (None: spans itself)
    "spans": None,
    "copy": lambda ddl: ddl,
    "no_skip_indexes": lambda ddl: re.sub(r",\s*\n\)", "\n)", "\n".join(line for line in ddl.split("\n") if not line.strip().startswith("INDEX"))),
    "no_codecs": lambda ddl: _CODEC.sub("", ddl),
    "maps_lz4": lambda ddl: _MAP_CODEC.sub(r"\1 CODEC(LZ4)", ddl),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="Timed rounds (after one untimed warm-up).")
    parser.add_argument("--requests", type=int, default=400, help="Requests of 512 spans in the batch.")
    args = parser.parse_args()

    results: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="spanledger-floor-") as scratch:
        data_dir = Path(scratch)
        settings = Settings(data_dir=data_dir)
        store = open_store(settings)
        backend = store.backend
        backend.execute("SYSTEM STOP MERGES")
        batch = data_dir / "batch.bin"
        spans = write_batch(batch, [Fleet(index * 100_003, SPANS_PER_REQUEST, 100) for index in range(2)], args.requests)
        redaction = Redaction(detectors=tuple(settings.redact_detectors), salt="floor-profile")
        store.load_otlp_batch(batch, otlp_format.STRUCTURE, otlp_format.FORMAT_SETTINGS,
                              {"tenant": "default", "max_attribute_bytes": settings.max_attribute_bytes,
                               "max_attributes": settings.max_attributes_per_span, **redaction.params()})
        backend.execute(sql_files.query("bench_floor_stage"), {"rows": spans})
        ddl = backend.query_arrow("SHOW CREATE TABLE spans").column(0)[0].as_py()

        def timed(call: Callable[..., Any], *args: Any) -> float:
            started = time.process_time()
            call(*args)
            return (time.process_time() - started) / spans * 1e6

        for round_index in range(args.rounds + 1):
            for name, (structure, schema) in DECODES.items():
                cost = timed(backend.insert_file, sql_files.query("bench_floor_decode"), batch, "Protobuf", structure, None,
                             {**otlp_format.FORMAT_SETTINGS, "format_schema": schema})
                if round_index:
                    results[f"decode_{name}"].append(cost)
            for name, make in TABLES.items():
                table = "spans" if make is None else f"floor_{name}"
                if make is not None:
                    backend.execute(sql_files.query("bench_floor_drop"), {"table": table})
                    backend.execute(re.sub(r"CREATE TABLE \S+", f"CREATE TABLE {table}", make(ddl), count=1))
                cost = timed(backend.execute, sql_files.query("bench_floor_write"), {"table": table})
                if round_index:
                    results[f"write_{name}"].append(cost)
            if round_index:
                print(f"round {round_index}: " + "  ".join(f"{key} {values[-1]:.2f}" for key, values in results.items()), flush=True)
        store.close()

    summary = {key: {"median": statistics.median(values), "min": min(values)} for key, values in results.items()}
    print(f"\n{args.rounds} rounds, {spans:,} spans (µs of CPU a span, median / min):")
    for key, value in summary.items():
        print(f"  {key:<24} {value['median']:6.2f} / {value['min']:.2f}")
    out = ROOT / "bench" / "results" / time.strftime("floor-%Y%m%d-%H%M%S.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rounds": args.rounds, "spans": spans, "results": results, "summary": summary}, indent=1))
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
