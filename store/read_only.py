"""The checks of the read-only query door (`/api/query`, `spanledger query`), before anything runs.

Everyone: one statement (chDB runs every statement of a multi-statement text, and only the last would get the
readonly setting; ClickHouse's own parser decides, given the text as a bound value), no INTO OUTFILE, and no
SETTINGS clause anywhere
(a subquery's SETTINGS would lift the time and row limits or the tenant filter). A caller restricted to one
tenant also gets: SELECT/WITH only, tables by bare name from an allowlist (each filtered to the tenant by
additional_table_filters), no table functions, no IN over a bare table name and no functions that read
dictionaries, Join tables or files. An admin may use generator table functions and merge(), nothing that reads
files, URLs or other servers. The shape is read from ClickHouse's own parser (EXPLAIN AST), not guessed.
"""

from __future__ import annotations

import re

from store.backend import StoreError

TENANT_TABLES = ("spans", "sessions", "rollup_agents", "rollup_calls", "rollup_models", "weekly_top_sessions")
SHARED_TABLES = ("model_prices",)  # no tenant's data: readable by everyone
_READ_ONLY_START = re.compile(r"^\s*(select|with|show|describe|desc|explain|exists)\b", re.IGNORECASE)
_SELECT_START = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_IN_FUNCTIONS = {"in", "notin", "globalin", "globalnotin", "nullin", "notnullin", "globalnullin", "globalnotnullin"}
_READING_FUNCTIONS = ("dict", "joinget", "file", "input", "getsetting", "hascolumnintable")
# Table functions an admin may use: generators and other tables of this database, nothing that reads files,
# URLs, object stores, other servers or runs programs.
_ADMIN_TABLE_FUNCTIONS = {"numbers", "numbers_mt", "zeros", "zeros_mt", "values", "generaterandom", "generate_series", "null", "merge"}


class QueryRefused(StoreError):
    """A query the read-only query door does not run."""


def statement_text(sql: str) -> str:
    """sql without surrounding blanks and trailing ';'; refuses what the door never runs."""
    text = sql.strip().rstrip(";").strip()
    if not _READ_ONLY_START.match(text):
        raise QueryRefused("only SELECT, WITH, SHOW, DESCRIBE, EXPLAIN and EXISTS queries are allowed")
    return text


def check_formatted(formatted: str) -> None:
    """Checks the parser's one-line rendering of the statement, where strings and identifiers are quoted one way."""
    if re.search(r"\binto\s+outfile\b", _strip_literals(formatted), re.IGNORECASE):
        raise QueryRefused("INTO OUTFILE is not allowed")


def needs_ast_check(text: str, tenant: str | None) -> bool:
    if tenant is not None and not _SELECT_START.match(text):
        raise QueryRefused("a query restricted to one tenant is a SELECT or WITH query")
    return bool(_SELECT_START.match(text))


def check_ast(ast_lines: list[str], tenant: str | None) -> None:
    """Refuses by the parsed statement (the lines of EXPLAIN AST) what is described above."""
    nodes = [_node(line) for line in ast_lines if line.strip()]
    for index, (_, kind, rest) in enumerate(nodes):
        if kind == "Set":
            raise QueryRefused("a SETTINGS clause is not allowed (the server sets the limits)")
        name = rest.split(" (", 1)[0].strip()
        if tenant is None:
            if kind == "Function" and (name.lower() == "file" or (_parent(nodes, index) == "TableExpression"
                                                                    and name.lower() not in _ADMIN_TABLE_FUNCTIONS)):
                raise QueryRefused(f"table function {name}() is not allowed (it reads outside the store)")
            continue
        if kind == "TableIdentifier" and name not in TENANT_TABLES + SHARED_TABLES:
            raise QueryRefused(f"table {name!r} is not readable here; one of {', '.join(TENANT_TABLES + SHARED_TABLES)}, by bare name")
        if kind == "Function":
            if _parent(nodes, index) == "TableExpression":
                raise QueryRefused(f"table function {name}() is not allowed")
            if name.lower().startswith(_READING_FUNCTIONS):
                raise QueryRefused(f"function {name}() is not allowed")
            if name.lower() in _IN_FUNCTIONS and _second_argument(nodes, index) == "Identifier":
                raise QueryRefused("IN over a table name is not allowed; use IN (SELECT ...)")


def limit_settings(tenant: str | None, max_seconds: int, max_rows: int) -> dict[str, object]:
    settings: dict[str, object] = {"readonly": 2, "max_execution_time": max_seconds, "max_result_rows": max_rows,
                                   "result_overflow_mode": "break"}
    if tenant is not None:
        if not _TENANT.match(tenant):
            raise QueryRefused(f"tenant {tenant!r} is not a valid tenant name")
        filters = ", ".join(f"'{table}': 'tenant = \\'{tenant}\\''" for table in TENANT_TABLES)
        settings["additional_table_filters"] = "{" + filters + "}"
    return settings


def _node(line: str) -> tuple[int, str, str]:
    """(depth, node kind, the rest) of one EXPLAIN AST line."""
    kind, _, rest = line.strip().partition(" ")
    return len(line) - len(line.lstrip(" ")), kind, rest


def _parent(nodes: list[tuple[int, str, str]], index: int) -> str | None:
    depth = nodes[index][0]
    return next((kind for node_depth, kind, _ in reversed(nodes[:index]) if node_depth < depth), None)


def _second_argument(nodes: list[tuple[int, str, str]], index: int) -> str | None:
    depth = nodes[index][0]
    children = []
    for child_depth, kind, _ in nodes[index + 2:]:
        if child_depth <= depth + 1:
            break
        if child_depth == depth + 2:
            children.append(kind)
    return children[1] if len(children) > 1 else None


def _strip_literals(sql: str) -> str:
    """Formatted SQL without its quoted strings and identifiers."""
    sql = re.sub(r"'(?:[^'\\]|\\.)*'", "''", sql)
    return re.sub(r"`(?:[^`\\]|\\.)*`", "``", sql)
