"""The README is a contract: its settings table, its quick start and the compose file must hold."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spanledger.settings import settings_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_settings_table_matches_the_settings_class() -> None:
    block = README.split("<!-- settings-table")[1].split("<!-- end settings-table -->")[0]
    table = "\n".join(line for line in block.splitlines() if line.startswith("|"))
    assert table == settings_table(), "run `spanledger settings` and paste its output into the README"


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_quick_start_snippet_and_query(service) -> None:  # type: ignore[no-untyped-def]
    snippet = re.search(r"```python\n(.*?)```", README, re.DOTALL).group(1)  # type: ignore[union-attr]
    session = f"session-readme-{os.getpid()}"
    snippet = snippet.replace("127.0.0.1:4317", f"127.0.0.1:{service.grpc_port}").replace("session-1", session)
    subprocess.run([sys.executable, "-c", snippet], check=True, timeout=60)
    service.flush()
    query = re.search(r'spanledger query "(.*?)"\n', README).group(1).replace("session-1", session)  # type: ignore[union-attr]
    cli = Path(sys.executable).with_name("spanledger")
    out = subprocess.run([str(cli), "query", query, "--url", f"http://127.0.0.1:{service.http_port}"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    assert "chat gpt-4o           planner     " + session in out
    assert "0.006     computed" in out and "(2 rows)" in out


def test_compose_file_validates() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install docker-compose (Debian package) to validate docker-compose.yml")
        pytest.skip("docker-compose is not installed")
    subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], check=True, timeout=60)
