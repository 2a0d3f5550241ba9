"""A store written by an earlier schema is upgraded in place: nothing is lost, and a gap noted before the
upgrade is still repaired when the trace's root arrives after it.

0058 rebuilds the spans table under a new sort key (a copy and a swap) and 0059 replaces context_gaps by
trace_context; both run on a store that already holds spans here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.serve_process import ServeProcess, grpc_export

ROOT = Path(__file__).resolve().parent.parent

# Run in a process of its own (chDB allows one data directory per process): the schema as it was before
# 0058, and one load of spans into it.
BEFORE_0058 = """
import sys
from pathlib import Path
from ingest import otlp_format
from ingest.redaction import Redaction
from spanledger.settings import Settings
from store import open_store, sql_files

every = sql_files.migrations
sql_files.migrations = lambda: [m for m in every() if m[0] < "0058"]
store = open_store(Settings(data_dir=Path(sys.argv[1])))
store.prepare()
body = Path(sys.argv[2]).read_bytes()
batch = Path(sys.argv[1]) / "old-load.bin"
batch.write_bytes(otlp_format.frame_header(len(body)) + body)
store.load_otlp_batch(batch, otlp_format.STRUCTURE, otlp_format.FORMAT_SETTINGS,
                      {"tenant": "default", "max_attribute_bytes": 16384, "max_attributes": 128, **Redaction(salt="s").params()})
print(store.backend.query_arrow("SELECT count() AS n FROM spans").column("n")[0].as_py())
"""


def _request(service: str, spans: list[dict]) -> bytes:
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    attribute = resource.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", service
    scope = resource.scope_spans.add()
    now = time.time_ns()
    for index, fields in enumerate(spans):
        span = scope.spans.add(trace_id=fields["trace"], span_id=fields["span"], parent_span_id=fields.get("parent", b""),
                               name=fields["name"], start_time_unix_nano=now - 10**9 * (10 - index),
                               end_time_unix_nano=now - 10**9 * (9 - index))
        for key, value in fields.get("attrs", {}).items():
            item = span.attributes.add()
            item.key, item.value.string_value = key, value
    return request.SerializeToString()


@pytest.mark.skipif(bool(os.environ.get("SPANLEDGER_TEST_CLICKHOUSE_URL")), reason="the earlier schema is written by the embedded store")
def test_an_upgrade_keeps_every_span_and_repairs_gaps_noted_before_it(tmp_path: Path, unique: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    service = f"upgrade-{unique}"
    whole, late = os.urandom(16), os.urandom(16)
    root, late_root = os.urandom(8), os.urandom(8)
    before = tmp_path / "before.bin"
    before.write_bytes(_request(service, [
        {"trace": whole, "span": root, "name": "invoke_agent planner",
         "attrs": {"gen_ai.agent.name": "planner", "gen_ai.conversation.id": f"conv-whole-{unique}"}},
        {"trace": whole, "span": os.urandom(8), "parent": root, "name": "execute_tool search"},
        # A child stored before the upgrade whose root only arrives after it.
        {"trace": late, "span": os.urandom(8), "parent": late_root, "name": "chat gpt-4o", "attrs": {"gen_ai.request.model": "gpt-4o"}},
    ]))
    written = subprocess.run([sys.executable, "-c", BEFORE_0058, str(data), str(before)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert written.returncode == 0, written.stderr[-3000:]
    assert written.stdout.strip().splitlines()[-1] == "3"

    server = ServeProcess(data, env={"SPANLEDGER_CONTEXT_REPAIR_SECONDS": "0.5"}).start()
    try:
        assert server.query("SELECT sorting_key FROM system.tables WHERE name = 'spans' AND database = currentDatabase()") == [
            ["tenant, service_name, start_time, trace_id, span_id"]]
        assert server.query(f"SELECT name, agent_name, session_id FROM spans FINAL WHERE service_name = '{service}' AND trace_id = '{whole.hex()}' ORDER BY name") == [
            ["execute_tool search", "planner", f"conv-whole-{unique}"], ["invoke_agent planner", "planner", f"conv-whole-{unique}"]]
        with grpc.insecure_channel(server.grpc_target) as channel:
            code, _, _ = grpc_export(channel, _request(service, [{"trace": late, "span": late_root, "name": "invoke_agent writer", "attrs": {
                "gen_ai.agent.name": "writer", "gen_ai.conversation.id": f"conv-late-{unique}"}}]))
        assert code == grpc.StatusCode.OK
        sql = f"SELECT name, agent_name, session_id FROM spans FINAL WHERE trace_id = '{late.hex()}' ORDER BY name"
        deadline, found = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            found = server.query(sql)
            if found == [["chat gpt-4o", "writer", f"conv-late-{unique}"], ["invoke_agent writer", "writer", f"conv-late-{unique}"]]:
                break
            time.sleep(0.5)
        assert found == [["chat gpt-4o", "writer", f"conv-late-{unique}"], ["invoke_agent writer", "writer", f"conv-late-{unique}"]]
        assert server.query(f"SELECT count() FROM spans FINAL WHERE service_name = '{service}'") == [[4]]
    finally:
        server.close()
