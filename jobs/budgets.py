"""Per-agent budgets from the TOML file named by the budgets_file setting.

    [agents.support-bot]
    cost_per_session_p95_usd = 0.25   # target for p95 cost per finished session
    daily_spend_usd = 400             # budget for one UTC day's spend

Read once per rollup pass, so an edited file applies from the next pass on. Budgets are copied into the
rollup rows, so dashboards and alerts show each bucket against the budget that held for it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl

BUDGET_KEYS = {"cost_per_session_p95_usd": "budget_cost_p95_usd", "daily_spend_usd": "budget_daily_spend_usd"}


class BudgetError(ValueError):
    """The budgets file is unreadable or names an unknown key; the message names the file and key."""


def load_budgets(path: Path | None) -> pl.DataFrame:
    """One row per agent with a budget: agent_name, budget_cost_p95_usd, budget_daily_spend_usd (nulls if unset)."""
    schema = {"agent_name": pl.String, **{column: pl.Float64 for column in BUDGET_KEYS.values()}}
    if path is None:
        return pl.DataFrame(schema=schema)
    try:
        with open(path, "rb") as handle:
            agents = tomllib.load(handle).get("agents", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BudgetError(f"budgets file {path}: {exc}") from exc
    rows = []
    for agent, values in agents.items():
        unknown = set(values) - set(BUDGET_KEYS)
        if unknown:
            raise BudgetError(f"budgets file {path}: [agents.{agent}] has unknown keys {sorted(unknown)}; known: {sorted(BUDGET_KEYS)}")
        rows.append({"agent_name": agent, **{column: _number(path, agent, key, values.get(key)) for key, column in BUDGET_KEYS.items()}})
    return pl.DataFrame(rows, schema=schema)


def _number(path: Path, agent: str, key: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BudgetError(f"budgets file {path}: [agents.{agent}] {key} must be a number >= 0, got {value!r}")
    return float(value)
