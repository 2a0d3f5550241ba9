"""An acknowledged span is never lost: SIGKILL `spanledger serve` under load at several moments, restart it on
the same data directory each time, and find every acknowledged span stored exactly once."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import grpc
import httpx

from tests.conftest import ARTIFACTS
from tests.serve_process import PROTOBUF, ServeProcess, build_request, grpc_export, span_ids

SERVICE_NAME = "crash-test"
# Seconds of load before each kill -9. Loads run every 200 ms, so these land in group commits, in loads
# and between them; the first kills after a restart also hit the replay of the previous run's spool.
KILL_AFTER = (0.2, 0.5, 0.9, 1.4, 2.2, 3.0)
SPANS_PER_REQUEST = 20


class Load:
    """Clients on both transports sending fresh span ids until stopped; they record what was acknowledged."""

    def __init__(self, server: ServeProcess, acked: set[str]) -> None:
        self.server, self.acked = server, acked
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self._grpc) for _ in range(2)] + [threading.Thread(target=self._http)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _record(self, ids: list[bytes]) -> None:
        with self.lock:
            self.acked.update(span_id.hex() for span_id in ids)

    def _grpc(self) -> None:
        with grpc.insecure_channel(self.server.grpc_target) as channel:
            while not self.stop.is_set():
                ids = span_ids(SPANS_PER_REQUEST)
                code, _, _ = grpc_export(channel, build_request(SERVICE_NAME, ids), timeout=5)
                if code == grpc.StatusCode.OK:
                    self._record(ids)
                elif code == grpc.StatusCode.UNAVAILABLE:
                    time.sleep(0.05)

    def _http(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.stop.is_set():
                ids = span_ids(SPANS_PER_REQUEST)
                try:
                    response = client.post(self.server.http + "/v1/traces", content=build_request(SERVICE_NAME, ids), headers=PROTOBUF)
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if response.status_code == 200:
                    self._record(ids)


def test_sigkill_under_load_loses_no_acknowledged_span(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path / "data", {"SPANLEDGER_LOAD_INTERVAL_MS": "200", "SPANLEDGER_FSYNC": "true"})
    acked: set[str] = set()
    kills = []
    try:
        for seconds in KILL_AFTER:
            server.start()
            before = len(acked)
            with Load(server, acked):
                time.sleep(seconds)
                state = server.metrics()
                server.kill()
            kills.append({"after_s": seconds, "acked_in_round": len(acked) - before,
                          "spool_files_at_kill": state["spool_files"], "loads_before_kill": state["loads_total"]})
        server.start()
        server.wait_drained()
        stored = [row[0] for row in server.query(f"SELECT span_id FROM spans FINAL WHERE service_name = '{SERVICE_NAME}'")]
        code, seconds = server.terminate()
    finally:
        server.close()
    missing = acked - set(stored)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "reliability-crash.json").write_text(json.dumps(
        {"kills": kills, "acknowledged": len(acked), "stored": len(stored), "missing": len(missing)}, indent=2))
    assert len(acked) > 1000, kills  # the load was real
    assert not missing, f"{len(missing)} acknowledged spans lost, e.g. {sorted(missing)[:5]}; kills: {kills}"
    assert len(stored) == len(set(stored)), "a span counted twice under FINAL"
    assert len(stored) >= len(acked)
    assert code == 0 and seconds < 10
