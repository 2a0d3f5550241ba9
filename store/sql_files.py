"""Loads the SQL of sql/ once: numbered migrations and named queries. No SQL text lives in Python."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@cache
def query(name: str) -> str:
    """The text of sql/queries/<name>.sql."""
    return (SQL_DIR / "queries" / f"{name}.sql").read_text()


def migrations() -> list[tuple[str, str]]:
    """(version, text) of every sql/NNNN_*.sql, in order."""
    found = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        if _MIGRATION_NAME.match(path.name):
            found.append((path.stem, path.read_text()))
    return found


def functions() -> list[tuple[str, str]]:
    """(name, text) of every sql/functions/*.sql, in order: definitions that replace themselves, applied at every start."""
    return [(path.stem, path.read_text()) for path in sorted((SQL_DIR / "functions").glob("*.sql"))]


def statements(text: str) -> list[str]:
    """Splits a migration into statements at semicolons that end a line; '--' comments are dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    parts = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return [part.strip() for part in parts if part.strip()]
