"""Model-call rollups for the cost dashboard: calls, tokens and cost per model, per (agent, version,
environment, 1m/1h bucket), so the cost page never rescans spans.

The jobs' call rollups (rollup_calls) keep model calls without the model's name, so this follows them: an
hour is due when its session rollups have a newer generation (rollup_generations) than its model rollups
were computed after. A pass recomputes due hours whole, writes every row with its own version, and then
makes that version the hours' current generation (rollup_model_generations); readers see only current rows
(view rollup_models_live), so an hour is never seen half done. It reads spans and sessions, never writes them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from jobs.periodic import PeriodicLoop
from jobs.rollups import group_hours
from jobs.time_ranges import param

log = logging.getLogger(__name__)


def run_model_rollups(store: Any, chunk_hours: int = 24) -> int:
    """Recomputes the model rollups of every due (tenant, hour); returns how many hours it did."""
    pending = store.frame("ui_model_rollup_pending")
    if pending.is_empty():
        return 0
    covers: dict[tuple[str, int], dt.datetime] = {(str(tenant), int(hour)): generation
                                                  for tenant, hour, generation in pending.iter_rows()}
    hours = [(tenant, dt.datetime.fromtimestamp(hour, dt.UTC)) for tenant, hour in covers]
    for group in group_hours(hours, chunk_hours):
        computed_at = dt.datetime.now(dt.UTC)
        keys = [(tenant, int(hour.timestamp())) for tenant, hour in group]
        first = min(hour for _, hour in group)
        params = {"hours": json.dumps(keys), "from": param(first), "to": param(max(hour for _, hour in group) + dt.timedelta(hours=1))}
        spans_to = store.frame("ui_model_rollup_spans_to", params).item()
        if spans_to is not None:
            store.run("ui_insert_rollup_models", {**params, "spans_to": param(spans_to), "computed_at": param(computed_at)})
        record = [[tenant, hour, param(covers[(tenant, hour)])] for tenant, hour in keys]
        store.run("ui_record_model_generations", {"hours": json.dumps(record), "computed_at": param(computed_at)})
    log.debug("model rollups: %d hours", len(hours))
    return len(hours)


class ModelRollupLoop(PeriodicLoop):
    """Runs run_model_rollups every interval seconds on its own thread until stopped."""

    def __init__(self, store: Any, interval: float, chunk_hours: int = 24) -> None:
        super().__init__("model-rollups", interval, join_timeout=2)
        self.store = store
        self.chunk_hours = chunk_hours

    def step(self) -> None:
        run_model_rollups(self.store, self.chunk_hours)  # hours not done stay due for the next run
