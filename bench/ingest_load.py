"""Ingest load bench: realistic agent sessions through real OTLP/gRPC, from separate processes.

Starts `spanledger serve` (embedded chDB) on a fresh temp data dir and free ports, then N generator
processes, each with one gRPC channel and --concurrency Export calls in flight, send pre-built
ExportTraceServiceRequest bytes (bench/payloads.py: a fleet of sessions in progress, each session's spans over
several requests, its root last; fresh ids for every replay, so nothing is deduplicated).
Phases: warm-up, timed run, drain. Reports spans/s acknowledged (OK responses in the window), spans/s
stored (spanledger_stored_spans_total delta up to the drain), Export latency p50/p95/p99, errors and
backpressure, server CPU (also by thread name) and RSS, and cross-checks the stored count with SELECT count() FROM spans FINAL.
Latency is per call, from send to answer; with --target-rate a generator that falls behind its schedule
reports the lag rather than hiding it. A failed call is counted, not re-sent (the slot pauses 0.1 s).

    make bench                                   # 2 procs x 32 in flight, open loop, 30 s
    .venv/bin/python bench/ingest_load.py --seconds 15 --target-rate 100000    # p99 at 100k spans/s
    SPANLEDGER_FSYNC=false SPANLEDGER_BATCH_MAX_DELAY_MS=20 .venv/bin/python bench/ingest_load.py

Server settings come from SPANLEDGER_* variables in the environment (inherited by the server).
Results: a table on stdout and bench/results/ingest-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGET_SPANS, TARGET_P99_MS = 100_000, 150  # the acceptance criterion, on the 2-core dev machine


# -- generator (runs in each child process) ------------------------------------------------------
def generate(index: int, args: argparse.Namespace, target: str, phases: mp.Queue, results: mp.Queue) -> None:
    """One generator process: builds its fleet's requests, then sends until the parent's end time."""
    import grpc

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from payloads import Fleet

    rate = args.target_rate / args.procs / args.spans_per_request if args.target_rate else 0.0
    fleet = Fleet(index * 100_003, args.spans_per_request, rate or TARGET_SPANS / args.procs / args.spans_per_request)
    channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 * 1024 * 1024)])
    export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
    grpc.channel_ready_future(channel).result(timeout=30)
    results.put(("ready", index))
    measure_at, end_at = phases.get()  # time.monotonic() values; the clock is shared by all processes
    slots = threading.BoundedSemaphore(args.concurrency)
    lock = threading.Lock()
    latencies: list[float] = []
    counts: dict[str, int] = {"ok": 0, "ok_in_window": 0, "sent_in_window": 0}
    pause_until = [0.0]

    def done(future: grpc.Future, sent: float) -> None:
        finished = time.monotonic()
        code = future.code()
        with lock:
            if code == grpc.StatusCode.OK:
                counts["ok"] += 1
                if measure_at <= finished < end_at:
                    counts["ok_in_window"] += 1
            else:
                counts[code.name] = counts.get(code.name, 0) + 1
                pause_until[0] = finished + 0.1  # back off like an exporter would, without re-sending
            if measure_at <= sent < end_at:
                latencies.append(finished - sent)
        slots.release()

    cpu_at_start = None
    next_send, sent_calls, lag = time.monotonic(), 0, 0.0
    while True:
        now = time.monotonic()
        if now >= end_at:
            break
        if cpu_at_start is None and now >= measure_at:
            cpu_at_start = os.times()
        if rate:
            next_send += 1.0 / rate
            if next_send > now:
                time.sleep(next_send - now)
            else:
                lag = max(lag, now - next_send)
        if pause_until[0] > now:
            time.sleep(pause_until[0] - now)
        slots.acquire()
        payload = fleet.next_request()
        sent_calls += 1
        sent = time.monotonic()
        if measure_at <= sent < end_at:
            counts["sent_in_window"] += 1
        export.future(payload, timeout=args.timeout).add_done_callback(lambda future, sent=sent: done(future, sent))
    for _ in range(args.concurrency):  # wait for the calls still in flight
        slots.acquire()
    cpu_at_end = os.times()
    cpu_at_start = cpu_at_start or cpu_at_end
    channel.close()
    cpu = (cpu_at_end.user - cpu_at_start.user) + (cpu_at_end.system - cpu_at_start.system)
    results.put(("done", index, {"counts": counts, "latencies": latencies, "cpu_seconds": cpu, "schedule_lag_s": lag}))


# -- the server under test -----------------------------------------------------------------------
class Server:
    """`spanledger serve` in a subprocess on port 0; its ports are read from what it prints."""

    def __init__(self, data_dir: Path) -> None:
        self.log = data_dir.parent / "server.log"
        self.out = data_dir.parent / "server.out"
        command = [str(ROOT / ".venv/bin/spanledger"), "serve", "--data-dir", str(data_dir), "--grpc-port", "0", "--http-port", "0"]
        with self.out.open("wb") as out, self.log.open("wb") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT)
        self.grpc_target, self.http = self._wait_ready()

    def _wait_ready(self, timeout: float = 120.0) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            text = self.out.read_text()
            grpc_at, http_at = re.search(r"OTLP/gRPC\s+(\S+)", text), re.search(r"API\s+(http://[^/\s]+)", text)
            if grpc_at and http_at:
                try:
                    if httpx.get(http_at.group(1) + "/readyz", timeout=2).status_code == 200:
                        return grpc_at.group(1), http_at.group(1)
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{self.log.read_text()[-3000:]}")

    def metrics(self) -> dict[str, float]:
        text = httpx.get(self.http + "/metrics", timeout=120).text
        return {m.group(1): float(m.group(2)) for m in re.finditer(r"^spanledger_(\w+) (\S+)$", text, re.MULTILINE)}

    def query(self, sql: str) -> list[list]:
        response = httpx.post(self.http + "/api/query", json={"sql": sql}, timeout=120)
        response.raise_for_status()
        return response.json()["rows"]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def thread_cpu_seconds(self) -> dict[str, float]:
        """CPU seconds of the server's threads, by name with its numbers cut off (chDB's pools, merges, Python)."""
        by_name: dict[str, float] = {}
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                name = (task / "comm").read_text().strip().rstrip("0123456789")
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue  # a thread that ended meanwhile
            by_name[name] = by_name.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
        return by_name

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else 0.0

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Timeline(threading.Thread):
    """Samples the server every `every` seconds in the window: its CPU, the spans stored since the last sample and the
    bytes queued. A run's averages hide the stretches in which the store falls behind (a jobs pass, big merges):
    these show them. A sample waits for /metrics, which may wait behind a load, so intervals vary."""

    def __init__(self, server: Server, every: float) -> None:
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.samples: list[dict[str, float]] = []
        self._done = threading.Event()

    def run(self) -> None:
        last = (time.monotonic(), self.server.cpu_seconds(), self.server.metrics()["stored_spans_total"])
        while not self._done.wait(self.every):
            metrics = self.server.metrics()
            now = (time.monotonic(), self.server.cpu_seconds(), metrics["stored_spans_total"])
            seconds = now[0] - last[0]
            self.samples.append({"seconds": round(seconds, 2), "cpu_percent": round(100 * (now[1] - last[1]) / seconds),
                                 "stored_per_s": round((now[2] - last[2]) / seconds),
                                 "queue_mb": round(metrics["queue_bytes"] / 2**20), "queue_limit_mb": round(metrics["queue_max_bytes"] / 2**20)})
            last = now

    def stop(self) -> list[dict[str, float]]:
        self._done.set()
        self.join(timeout=150)
        return self.samples


# -- the run -------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def source_state() -> str:
    """The commit measured, and whether the working tree differed from it (results must say what they measured)."""
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + (f" + {len(changed.splitlines())} changed files" if changed else "")


def wait_drained(server: Server, timeout: float = 120.0) -> tuple[float, dict[str, float]]:
    """Polls until the queue is empty and the stored count stops moving; returns when it last moved."""
    last = server.metrics()
    moved_at = time.monotonic()
    deadline = moved_at + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = server.metrics()
        if now["stored_spans_total"] != last["stored_spans_total"] or now["queue_bytes"]:
            moved_at = time.monotonic()
        elif time.monotonic() - moved_at > 1.0:
            return moved_at, now
        last = now
    return moved_at, last


def run(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="spanledger-bench-"))
    server = Server(workdir / "data")
    context = mp.get_context("spawn")  # children start clean: no inherited gRPC or chDB state
    phases, results = context.Queue(), context.Queue()
    workers = [context.Process(target=generate, args=(i, args, server.grpc_target, phases, results)) for i in range(args.procs)]
    try:
        for worker in workers:
            worker.start()
        for _ in workers:
            if results.get(timeout=120)[0] != "ready":
                raise RuntimeError("a generator failed to start")
        measure_at = time.monotonic() + args.warmup
        end_at = measure_at + args.seconds
        for _ in workers:
            phases.put((measure_at, end_at))
        time.sleep(max(0.0, measure_at - time.monotonic()))
        cpu_before, threads_before, load_before = server.cpu_seconds(), server.thread_cpu_seconds(), load_average()
        before = server.metrics()
        # The stored count is as of the answer: /metrics also reads the store, and may wait behind a load or a job.
        before_at = time.monotonic()
        rss_peak = 0.0
        timeline = Timeline(server, args.timeline_seconds)
        timeline.start()
        while time.monotonic() < end_at:
            rss_peak = max(rss_peak, server.rss_mb())
            time.sleep(min(1.0, max(0.0, end_at - time.monotonic())))
        cpu_at_end, threads_at_end = server.cpu_seconds(), server.thread_cpu_seconds()
        samples = timeline.stop()
        at_end = server.metrics()
        at_end_at = time.monotonic()
        reports = [results.get(timeout=args.timeout + 120) for _ in workers]
        drained_at, after = wait_drained(server)
        # FINAL: the context repair adds a newer version of a span, which a merge or FINAL collapses with the old one
        spans_in_table = server.query("SELECT count() FROM spans FINAL")[0][0]
        rss_peak = max(rss_peak, server.rss_mb())
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
        server.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    window = args.seconds
    latencies = [value for _, _, report in reports for value in report["latencies"]]
    counts: dict[str, int] = {}
    for _, _, report in reports:
        for key, value in report["counts"].items():
            counts[key] = counts.get(key, 0) + value
    spr = args.spans_per_request
    return {
        "config": {**vars(args), "server_env": {k: v for k, v in os.environ.items() if k.startswith("SPANLEDGER_")}},
        "source": source_state(),
        "machine": {"cores": os.cpu_count(), "load_before": load_before, "load_after": load_average()},
        "acknowledged_spans_per_s": counts["ok_in_window"] * spr / window,
        "sent_spans_per_s": counts["sent_in_window"] * spr / window,
        "stored_spans_per_s_in_window": (at_end["stored_spans_total"] - before["stored_spans_total"]) / (at_end_at - before_at),
        "metrics_late_s": {"start": before_at - measure_at, "end": at_end_at - end_at},
        "stored_spans_per_s_with_drain": (after["stored_spans_total"] - before["stored_spans_total"]) / (drained_at - measure_at),
        "drain_seconds": max(0.0, drained_at - end_at),
        "latency_ms": {f"p{int(q * 100)}": percentile(latencies, q) * 1000 for q in (0.5, 0.95, 0.99)}
        | {"max": max(latencies, default=float("nan")) * 1000, "calls": len(latencies)},
        "errors": {k: v for k, v in counts.items() if k not in ("ok", "ok_in_window", "sent_in_window")},
        "server": {"backpressure": after["backpressure_total"] - before["backpressure_total"],
                   "rejected_spans": after["rejected_spans_total"] - before["rejected_spans_total"],
                   "failed_batches": after["failed_batches_total"] - before["failed_batches_total"],
                   "cpu_percent_of_one_core": 100 * (cpu_at_end - cpu_before) / window, "rss_peak_mb": rss_peak,
                   # threads that ended within the window are missing here: a few percent at most (short queries)
                   "thread_cpu_percent_of_one_core": dict(sorted(
                       ((name, 100 * (seconds - threads_before.get(name, 0.0)) / window) for name, seconds in threads_at_end.items()
                        if seconds - threads_before.get(name, 0.0) > 0.005 * window), key=lambda item: -item[1])),
                   "flush_seconds_mean": (after["flush_seconds_sum"] - before["flush_seconds_sum"])
                   / max(1.0, after["flush_seconds_count"] - before["flush_seconds_count"]),
                   "requests_per_batch": (after["export_requests_total"] - before["export_requests_total"])
                   / max(1.0, after["flush_seconds_count"] - before["flush_seconds_count"])},
        "generator_cpu_percent_of_one_core": 100 * sum(report["cpu_seconds"] for _, _, report in reports) / window,
        "generator_schedule_lag_s": max(report["schedule_lag_s"] for _, _, report in reports),
        "stored_total": {"metric": after["stored_spans_total"], "select_count": spans_in_table,
                         "acknowledged": counts["ok"] * spr},
        "timeline": samples,
    }


def timeline_summary(samples: list[dict]) -> str:
    if not samples:
        return "no samples"
    stored = sorted(sample["stored_per_s"] for sample in samples)
    full = sum(1 for sample in samples if sample["queue_mb"] >= 0.9 * sample["queue_limit_mb"])
    return (f"stored/s per {percentile([s['seconds'] for s in samples], 0.5):.0f} s: min {stored[0]:,}, median {percentile(stored, 0.5):,.0f},"
            f" max {stored[-1]:,}; queue within 10% of its limit in {full} of {len(samples)} samples")


def print_table(result: dict) -> None:
    lat, server = result["latency_ms"], result["server"]
    rows = [
        ("acknowledged", f"{result['acknowledged_spans_per_s']:,.0f} spans/s  (sent {result['sent_spans_per_s']:,.0f}, "
                         + (f"target {result['config']['target_rate']:,.0f})" if result["config"]["target_rate"] else "open loop)")),
        ("stored", f"{result['stored_spans_per_s_with_drain']:,.0f} spans/s incl. {result['drain_seconds']:.1f}s drain"
                   f"  ({result['stored_spans_per_s_in_window']:,.0f} within the window; its count read"
                   f" {result['metrics_late_s']['start']:.1f} s / {result['metrics_late_s']['end']:.1f} s late)"),
        ("Export latency", f"p50 {lat['p50']:.0f} ms  p95 {lat['p95']:.0f} ms  p99 {lat['p99']:.0f} ms  max {lat['max']:.0f} ms"
                           f"  ({lat['calls']} calls)"),
        ("errors", json.dumps(result["errors"]) + f"  backpressure {server['backpressure']:.0f}  failed batches {server['failed_batches']:.0f}"),
        ("server", f"CPU {server['cpu_percent_of_one_core']:.0f}% of a core  RSS peak {server['rss_peak_mb']:.0f} MB"
                   f"  flush mean {server['flush_seconds_mean'] * 1000:.0f} ms of {server['requests_per_batch']:.0f} requests"),
        ("threads", "  ".join(f"{name} {share:.0f}%" for name, share in server["thread_cpu_percent_of_one_core"].items())),
        ("timeline", timeline_summary(result["timeline"])),
        ("generator", f"CPU {result['generator_cpu_percent_of_one_core']:.0f}% of a core  schedule lag {result['generator_schedule_lag_s']:.2f}s"),
        ("stored total", "metric {metric:,.0f}  SELECT count() FINAL {select_count:,}  acknowledged {acknowledged:,}".format(**result["stored_total"])),
        ("load average", f"{result['machine']['load_before']} -> {result['machine']['load_after']} on {result['machine']['cores']} cores"),
        ("source", result["source"]),
    ]
    met = result["acknowledged_spans_per_s"] >= TARGET_SPANS and lat["p99"] <= TARGET_P99_MS
    rows.append(("target", f"{'met' if met else 'NOT met'}: >= {TARGET_SPANS:,} spans/s acknowledged with p99 <= {TARGET_P99_MS} ms"))
    for name, value in rows:
        print(f"{name:>15}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procs", type=int, default=2, help="generator processes")
    parser.add_argument("--concurrency", type=int, default=32, help="Export calls in flight per process")
    parser.add_argument("--seconds", type=float, default=150,
                        help="length of the timed run; the default spans two jobs passes and the merges beside them, "
                             "which shorter runs leave out (they overstate the sustained rate: README, Ingest performance)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before the timed run")
    parser.add_argument("--target-rate", type=float, default=0, help="spans/s over all processes; 0 = as fast as possible")
    parser.add_argument("--spans-per-request", type=int, default=512,
                        help="spans per Export call (512: the OTel SDK batch processor's default batch)")
    parser.add_argument("--timeout", type=float, default=30, help="Export deadline in seconds")
    parser.add_argument("--timeline-seconds", type=float, default=10, help="how often the timeline samples the server")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir and server log")
    args = parser.parse_args()
    result = run(args)
    print_table(result)
    out = ROOT / "bench" / "results" / f"ingest-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"{'written':>15}  {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
