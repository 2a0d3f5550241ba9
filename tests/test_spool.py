"""The spool without a server: load order, store outages, replay after a crash, duplicates, dead letters.

Ordering and outage logic use a store that records calls (it never parses a span). What the spool
promises about durability, duplicates and malformed files runs on the real Store, on its own chDB
directory in subprocesses (chDB allows one data directory per process; a crash is a process exit).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import ingest.spool
from ingest.loader import DEAD_LETTER_AFTER
from ingest.writer import Backpressure, BatchWriter, StoreUnavailable
from tests.serve_process import ROOT, build_request, span_ids


class RecordingStore:
    """Records which spool files each load named; can be down, or refuse named files."""

    def __init__(self) -> None:
        self.loads: list[list[str]] = []
        self.down = False
        self.refuse: set[str] = set()

    def load_otlp_batch(self, path: Path, *_: Any) -> None:
        if self.down:
            raise ConnectionRefusedError("store down")
        if path.name == "probe.bin":
            return
        files = sorted(path.parent.glob("*.bin"))  # the load's spool files, in its batch directory
        read = b"".join(part.read_bytes() for part in sorted(path.parent.glob(path.name)))
        assert read == b"".join(file.read_bytes() for file in files), "the load reads its files whole, in order"
        names = [file.name for file in files]
        if self.refuse & set(names):
            raise ValueError("Protobuf messages are corrupted")
        self.loads.append(names)


def _writer(store: Any, spool: Path, **overrides: Any) -> BatchWriter:
    settings = {"batch_max_bytes": 1 << 20, "load_max_bytes": 4 << 20, "batch_max_delay_ms": 5, "queue_max_bytes": 64 << 20, "fsync": True,
                "load_interval_ms": 60_000} | overrides  # loads only when a test asks
    return BatchWriter(store, spool, **settings)


def _three_spooled(store: Any, spool: Path, service: str, spans: int) -> tuple[BatchWriter, list[str]]:
    """A started writer that has spooled three requests of spans spans each (a spool file each), and those files."""
    writer = _writer(store, spool)
    writer.start()
    for _ in range(3):
        writer.write(build_request(service, span_ids(spans)), spans)
    return writer, _spooled(spool)


def _spooled(spool: Path) -> list[str]:
    return sorted(path.name for path in spool.rglob("*.bin") if path.name != "probe.bin")


def test_loads_go_oldest_first_in_bounded_chunks_per_tenant(tmp_path: Path) -> None:
    store = RecordingStore()
    writer = _writer(store, tmp_path / "spool")
    writer.start()
    for index in range(6):  # each write waits for its own group commit: one file each
        writer.write(build_request("order", span_ids(2)), 2, tenant="b" if index % 3 == 0 else "a")
    files = _spooled(tmp_path / "spool")
    writer.loader.load_max_bytes = 2 * max((tmp_path / "spool/ready" / name).stat().st_size for name in files)
    writer.load_spool()
    writer.stop()
    assert [name for load in store.loads for name in load if ".a." in name] == [name for name in files if ".a." in name]
    assert [name for load in store.loads for name in load if ".b." in name] == [name for name in files if ".b." in name]
    assert store.loads[0][0] == files[0] and all(len(load) <= 2 for load in store.loads)
    assert all(len({name.split(".")[1] for name in load}) == 1 for load in store.loads)
    assert _spooled(tmp_path / "spool") == [] and writer.metrics.stored_spans == 12


class SlowStore(RecordingStore):
    """A RecordingStore whose loads take a while, noting how many run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.running = self.most_at_once = 0
        self._lock = threading.Lock()

    def load_otlp_batch(self, pattern: Path, *rest: Any) -> None:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(0.2)
        super().load_otlp_batch(pattern, *rest)
        with self._lock:
            self.running -= 1



def test_a_load_whose_pieces_cannot_be_written_stores_its_files_one_by_one(tmp_path: Path, monkeypatch: Any) -> None:
    # A full disk while the loader joins a load's files: nothing is lost, no batch directory is left behind, and
    # the files go in one by one (a single file is read as it is, without a copy).
    def full_disk(source: int, target: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ingest.spool, "_copy", full_disk)
    store = RecordingStore()
    writer, files = _three_spooled(store, tmp_path / "spool", "order", 2)
    writer.load_spool()
    writer.stop()
    assert store.loads == [[name] for name in files]
    assert _spooled(tmp_path / "spool") == [] and list((tmp_path / "spool/loading").iterdir()) == []
    assert writer.metrics.stored_spans == 6 and writer.metrics.dead_letter_spans == 0


def test_with_a_backlog_loads_overlap_and_take_every_file_once(tmp_path: Path) -> None:
    store = SlowStore()
    writer = _writer(store, tmp_path / "spool", load_interval_ms=10, load_min_bytes=0, load_parallelism=2)
    for _ in range(12):
        writer.spool.write("a", [build_request("lane", span_ids(2))], 2)
    files = _spooled(tmp_path / "spool")
    writer.loader.load_max_bytes = 2 * max((tmp_path / "spool/ready" / name).stat().st_size for name in files)
    writer.start()  # the spooled files are a backlog: loads of two files each, two at a time
    deadline = time.monotonic() + 10
    while writer.metrics.stored_spans < 24 and time.monotonic() < deadline:
        time.sleep(0.05)
    writer.stop()
    assert sorted(name for load in store.loads for name in load) == files  # each file in exactly one load
    assert store.most_at_once == 2 and writer.metrics.stored_spans == 24


def test_a_full_load_goes_at_once_instead_of_waiting_out_the_interval(tmp_path: Path) -> None:
    store = RecordingStore()
    writer = _writer(store, tmp_path / "spool", load_min_bytes=0)  # loads every 60 s, but for full ones
    writer.loader.load_max_bytes = 3 * len(build_request("full", span_ids(2)))
    writer.start()
    for _ in range(6):
        writer.write(build_request("full", span_ids(2)), 2)
    deadline = time.monotonic() + 5
    while not store.loads and time.monotonic() < deadline:
        time.sleep(0.02)
    writer.stop()
    assert store.loads, "a backlog of load_max_bytes waited for the 60 s interval"


def test_a_file_taken_by_a_load_the_moment_it_is_written_is_still_acknowledged(tmp_path: Path) -> None:
    """The loader may move a spool file to loading/ as soon as it appears: its writer must not look at it again."""
    store = RecordingStore()
    writer = _writer(store, tmp_path / "spool")
    write = writer.spool.write

    def write_then_taken(*args: Any) -> int:
        size = write(*args)
        writer.spool.take()  # what a load starting right then does
        return size

    writer.spool.write = write_then_taken  # type: ignore[method-assign]
    writer.start()
    writer.write(build_request("taken", span_ids(3)), 3)  # raises StoreUnavailable if the spooler stat'ed the moved file
    writer.load_spool()
    writer.stop()
    assert writer.metrics.stored_spans == 3 and writer.metrics.queue_bytes == 0


def test_a_trickle_waits_up_to_load_max_wait_and_load_min_bytes_goes_at_the_interval(tmp_path: Path) -> None:
    """Every load has a fixed cost, so a few spans wait (load_max_wait_ms) while a batch worth loading does not."""
    store = RecordingStore()
    writer = _writer(store, tmp_path / "spool", load_interval_ms=50, load_min_bytes=64 << 10, load_max_wait_ms=2000)
    writer.start()
    try:
        writer.write(build_request("trickle", span_ids(2)), 2)
        sent = time.monotonic()
        time.sleep(0.6)
        assert store.loads == []  # 140 bytes: not loaded at the 50 ms interval
        while not store.loads and time.monotonic() < sent + 10:
            time.sleep(0.02)
        assert len(store.loads) == 1 and time.monotonic() - sent >= 1.9
        writer.write(build_request("bulk", span_ids(2000)), 2000)  # 117 kB, above load_min_bytes
        sent = time.monotonic()
        while len(store.loads) < 2 and time.monotonic() < sent + 10:
            time.sleep(0.02)
        assert len(store.loads) == 2 and time.monotonic() - sent < 1.5  # well before load_max_wait_ms
    finally:
        writer.stop()


def test_store_outage_keeps_files_pushes_back_then_drains_in_order(tmp_path: Path) -> None:
    store = RecordingStore()
    store.down = True
    request = build_request("outage", span_ids(3))
    writer = _writer(store, tmp_path / "spool", queue_max_bytes=3 * len(request) + 16)
    writer.start()
    for _ in range(3):
        writer.write(request, 3)  # acknowledged: durable in the spool while the store is down
    for _ in range(5):  # many failed rounds: files wait, nothing is struck or dead-lettered
        with pytest.raises(StoreUnavailable):
            writer.flush()
    assert writer.metrics.store_up == 0 and writer.metrics.spool_files == 3 and writer.loader._strikes == {}
    assert not (tmp_path / "dead-letter").exists()
    with pytest.raises(Backpressure):
        writer.write(request, 3)  # the spool is at its limit: push back
    files = _spooled(tmp_path / "spool")
    store.down = False
    writer.flush()
    assert store.loads == [files] and writer.metrics.store_up == 1
    assert (writer.metrics.queue_bytes, writer.metrics.spool_files) == (0, 0)
    writer.write(request, 3)  # room again
    writer.stop()
    assert writer.metrics.stored_spans == 12 and writer.metrics.dead_letter_spans == 0


def test_a_refused_file_is_isolated_and_set_aside_with_its_reason(tmp_path: Path) -> None:
    store = RecordingStore()
    writer, files = _three_spooled(store, tmp_path / "spool", "poison", 4)
    store.refuse = {files[1]}
    for _ in range(DEAD_LETTER_AFTER):
        writer.load_spool()
    writer.stop()
    assert [name for load in store.loads for name in load] == [files[0], files[2]]  # the others went in at once
    assert (tmp_path / "dead-letter" / files[1]).exists()
    assert "Protobuf messages are corrupted" in (tmp_path / "dead-letter" / (files[1] + ".reason.txt")).read_text()
    assert (writer.metrics.dead_letter_spans, writer.metrics.dead_letter_files, writer.metrics.spool_files) == (4, 1, 0)


# -- on the real store, in subprocesses -----------------------------------------------------------
def _real_writer(data_dir: Path, spool: str) -> tuple[Any, BatchWriter]:
    from spanledger.settings import load_settings
    from store import open_store

    # The real store: embedded chDB, or the ClickHouse server the suite is pointed at.
    store = open_store(load_settings(data_dir=str(data_dir), clickhouse_url=os.environ.get("SPANLEDGER_TEST_CLICKHOUSE_URL", "")))
    return store, _writer(store, data_dir / spool)


def crash_with_a_full_spool(data_dir: str) -> None:
    """Process 1: leaves every state a crash can leave in the spool, then dies without cleaning up."""
    root = Path(data_dir)
    _, writer = _real_writer(root, "spool")
    writer.start()
    ids: list[bytes] = []

    def acknowledged(count: int) -> bytes:
        batch = span_ids(count)
        ids.extend(batch)
        body = build_request("spool-crash", batch)
        writer.write(body, count)
        return body

    acknowledged(5)  # loaded, but the process "died" before deleting its file: the file is back
    shutil.copytree(root / "spool/ready", root / "kept")
    writer.load_spool()
    shutil.copytree(root / "kept", root / "spool/ready", dirs_exist_ok=True)
    retried = acknowledged(5)
    writer.write(retried, 5)  # the client re-sent it after a timeout: two copies in the spool
    acknowledged(5)  # mid-load at the crash: its file sits in a batch directory
    batch_dir = root / "spool/loading/batch-000777.default"
    batch_dir.mkdir()
    newest = max((root / "spool/ready").glob("*.bin"))
    newest.rename(batch_dir / newest.name)
    (root / "spool/ready/99999999999999999999-000000.default.1.bin.part").write_bytes(b"\x05torn")  # never acknowledged
    print(json.dumps({"acknowledged": sorted(span_id.hex() for span_id in ids)}), flush=True)
    os._exit(0)  # no stop(), no flush: what SIGKILL leaves


def recover_and_dead_letter(data_dir: str) -> None:
    """Process 2: a new writer on the same spool replays it; then a malformed spool file meets the store."""
    root = Path(data_dir)
    store, writer = _real_writer(root, "spool")
    writer.start()
    writer.flush()
    writer.stop()
    sql = "SELECT span_id FROM spans FINAL WHERE service_name = 'spool-crash'"
    stored = [row["span_id"] for row in store.backend.query_arrow(sql).to_pylist()]
    leftovers = _spooled(root / "spool") + [path.name for path in (root / "spool").rglob("*.part")]

    poison = root / "spool2/ready/99999999999999999998-000000.default.7.bin"
    poison.parent.mkdir(parents=True)
    poison.write_bytes(b"\x0a" + b"\x0f" * 10)  # framed, but wire type 7 does not exist: no protobuf reads it
    second = _writer(store, root / "spool2")
    second.start()
    good = span_ids(3)
    second.write(build_request("spool-dead-letter", good), 3)
    for _ in range(DEAD_LETTER_AFTER):
        second.load_spool()
    second.stop()
    sql = "SELECT span_id FROM spans FINAL WHERE service_name = 'spool-dead-letter'"
    reason = root / "dead-letter" / (poison.name + ".reason.txt")
    print(json.dumps({
        "stored": stored, "leftovers": leftovers,
        "good_stored": sorted(row["span_id"] for row in store.backend.query_arrow(sql).to_pylist()) == sorted(i.hex() for i in good),
        # Not FINAL: the refused chunk left nothing behind in the load stage to be stored twice.
        "good_rows": store.backend.query_arrow(sql.replace(" FINAL", "").replace("span_id", "count() AS n", 1)).to_pylist()[0]["n"],
        "stage_rows": store.backend.query_arrow("SELECT count() AS n FROM spans_stage").to_pylist()[0]["n"],
        "dead_letter": sorted(path.name for path in (root / "dead-letter").iterdir()),
        "reason": reason.read_text() if reason.exists() else "",
        "dead_letter_spans": second.metrics.dead_letter_spans, "spool2_left": _spooled(root / "spool2"),
    }), flush=True)
    store.close()


def loads_on_two_lanes(data_dir: str) -> None:
    """Two loads at once on the real store, each on its own lane (lane 1: a connection or session of its own)."""
    from ingest import otlp_format
    from ingest.redaction import Redaction

    root = Path(data_dir)
    store, _ = _real_writer(root, "spool")
    params = {"tenant": "default", "max_attribute_bytes": 4096, "max_attributes": 128, **Redaction().params()}
    ids = [span_ids(50), span_ids(50)]
    batches = []
    for index, batch_ids in enumerate(ids):
        body = build_request("spool-lanes", batch_ids)
        path = root / f"load-{index}.bin"
        path.write_bytes(otlp_format.frame_header(len(body)) + body)
        batches.append(path)
    start = threading.Barrier(2)

    def load(path: Path) -> None:
        start.wait()
        store.load_otlp_batch(path, otlp_format.STRUCTURE, otlp_format.FORMAT_SETTINGS, params)

    threads = [threading.Thread(target=load, args=(path,)) for path in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sql = "SELECT span_id FROM spans WHERE service_name = 'spool-lanes'"  # not FINAL: each span once
    print(json.dumps({"stored": sorted(row["span_id"] for row in store.backend.query_arrow(sql).to_pylist()),
                      "sent": sorted(span_id.hex() for batch_ids in ids for span_id in batch_ids)}), flush=True)
    store.close()


def test_two_loads_at_once_on_the_real_store_store_each_span_once(tmp_path: Path) -> None:
    result = _run("loads_on_two_lanes", tmp_path)
    assert len(result["sent"]) == 100 and result["stored"] == result["sent"]


def _run(function: str, data_dir: Path) -> dict[str, Any]:
    command = [sys.executable, "-c", f"import sys; from tests.test_spool import {function}; {function}(sys.argv[1])", str(data_dir)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_new_process_stores_every_acknowledged_span_once_and_sets_malformed_files_aside(tmp_path: Path) -> None:
    acknowledged = _run("crash_with_a_full_spool", tmp_path)["acknowledged"]
    after = _run("recover_and_dead_letter", tmp_path)
    assert sorted(after["stored"]) == acknowledged  # every one, each once (FINAL), the torn .part ignored
    assert after["leftovers"] == []
    assert after["good_stored"] and after["spool2_left"] == []
    assert (after["good_rows"], after["stage_rows"]) == (3, 0)
    assert after["dead_letter"] == ["99999999999999999998-000000.default.7.bin", "99999999999999999998-000000.default.7.bin.reason.txt"]
    assert f"refused this spool file {DEAD_LETTER_AFTER} times" in after["reason"] and "Protobuf" in after["reason"]
    assert after["dead_letter_spans"] == 7
