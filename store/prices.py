"""The price table: the shipped store/prices.csv plus the user's override file, loaded into model_prices.

Each model gets one lookup row per name it answers to (its own and its aliases); the insert query
falls back from an exact name to the name without provider prefix and snapshot date (sl_model_key).
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from store import sql_files
from store.backend import Backend, StoreError

log = logging.getLogger(__name__)

SHIPPED = Path(__file__).with_name("prices.csv")
_COLUMNS = ["model", "provider", "input", "cached_input", "cache_write", "output", "reasoning", "aliases"]


@dataclass(frozen=True)
class Price:
    key: str
    model: str
    provider: str
    input: float
    cached_input: float
    cache_write: float
    output: float
    reasoning: float
    price_version: str


def read_prices(path: Path) -> list[Price]:
    """Parses one price CSV; a bad row raises StoreError naming the file and line."""
    version = "unversioned"
    rows: list[str] = []
    with path.open(newline="") as handle:
        for line in handle:
            if line.startswith("#"):
                if "price_version:" in line:
                    version = line.split("price_version:", 1)[1].strip()
                continue
            rows.append(line)
    reader = csv.DictReader(rows)
    if reader.fieldnames is None or [name.strip() for name in reader.fieldnames][:7] != _COLUMNS[:7]:
        raise StoreError(f"{path}: header must be {','.join(_COLUMNS)}")
    prices = []
    for number, row in enumerate(reader, start=2):
        try:
            model = row["model"].strip().lower()
            base_in = float(row["input"])
            output = float(row["output"])
            cached = float(row["cached_input"]) if row["cached_input"].strip() else base_in
            write = float(row["cache_write"]) if row["cache_write"].strip() else base_in
            reasoning = float(row["reasoning"]) if row["reasoning"].strip() else output
        except (KeyError, ValueError, AttributeError) as exc:
            raise StoreError(f"{path}: data row {number}: {exc}") from exc
        if not model or min(base_in, output, cached, write, reasoning) < 0:
            raise StoreError(f"{path}: data row {number}: empty model or negative price")
        names = [model] + [alias.strip().lower() for alias in (row.get("aliases") or "").split("|") if alias.strip()]
        for name in names:
            prices.append(Price(name, model, row["provider"].strip(), base_in, cached, write, output, reasoning, version))
    return prices


def merged_prices(override: Path | None) -> list[Price]:
    """Shipped prices with the override file's rows winning, key by key."""
    by_key = {price.key: price for price in read_prices(SHIPPED)}
    if override is not None:
        if not override.exists():
            raise StoreError(f"price override file {override} does not exist (SPANLEDGER_PRICE_FILE)")
        by_key.update({price.key: price for price in read_prices(override)})
    return sorted(by_key.values(), key=lambda price: price.key)


def load(backend: Backend, override: Path | None) -> int:
    """Replaces model_prices with the merged table; returns the number of lookup keys."""
    prices = merged_prices(override)
    rows = "\n".join(json.dumps(asdict(price)) for price in prices)
    backend.execute(sql_files.query("clear_model_prices"))
    backend.execute(sql_files.query("insert_model_prices"), {"rows": rows})
    log.info("loaded %d price keys", len(prices))
    return len(prices)
