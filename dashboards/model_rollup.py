"""Model-call rollups for the cost dashboard: calls, tokens and cost per model, per (agent, version,
environment, 1m/1h bucket), so the cost page never rescans spans.

The jobs' call rollups (rollup_calls) keep model calls without the model's name, so this follows them: an
hour is due when its session rollups have a newer generation (rollup_generations) than its model rollups
were computed after. A pass writes every row of a due hour with its own version, and then makes that version
the hours' current generation (rollup_model_generations); readers see only current rows (view
rollup_models_live), so an hour is never seen half done. Only the minutes that sessions rewritten since start
(or started) in are read again from spans; the hour's other minutes keep their rows, and the hour row is the
sum of its minutes (sql/queries/ui_insert_rollup_models.sql). It reads spans and sessions, never writes them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from jobs.periodic import PeriodicLoop
from jobs.rollups import ALL_MINUTES, TenantHour, group_hours, hours_from, minutes_params
from jobs.time_ranges import EPOCH, param

log = logging.getLogger(__name__)


def run_model_rollups(store: Any, chunk_hours: int = 24) -> int:
    """Brings the model rollups of every due (tenant, hour) up to date; returns how many hours it did."""
    pending = store.frame("ui_model_rollup_pending")
    if pending.is_empty():
        return 0
    covers: dict[TenantHour, dt.datetime] = {}  # the rollup generation each hour's model rollups will cover
    covered: dict[TenantHour, dt.datetime] = {}  # and the one they covered so far (1970: none)
    for tenant, hour, generation, before in pending.select("tenant", "hour", "rollup_generation", "covered").iter_rows():
        key = (str(tenant), dt.datetime.fromtimestamp(int(hour), dt.UTC))
        covers[key], covered[key] = generation, before
    minutes = _dirty_minutes(store, covered)
    for group in group_hours(list(covers), chunk_hours):
        computed_at = dt.datetime.now(dt.UTC)
        first, to = min(hour for _, hour in group), max(hour for _, hour in group) + dt.timedelta(hours=1)
        params = {"hours": json.dumps([[tenant, int(hour.timestamp())] for tenant, hour in group]), "from": param(first), "to": param(to)}
        spans_to = store.frame("ui_model_rollup_spans_to", params).item()
        store.run("ui_insert_rollup_models", {
            **params, **minutes_params(group, minutes),
            "spans_to": param(spans_to if spans_to is not None else first), "computed_at": param(computed_at)})
        record = [[tenant, int(hour.timestamp()), param(covers[(tenant, hour)])] for tenant, hour in group]
        store.run("ui_record_model_generations", {"hours": json.dumps(record), "computed_at": param(computed_at)})
    log.debug("model rollups: %d hours", len(covers))
    return len(covers)


def _dirty_minutes(store: Any, covered: dict[TenantHour, dt.datetime]) -> dict[TenantHour, list[int]]:
    """Per due (tenant, hour), the minutes to read again from spans: every minute of an hour without model rollups
    yet, else those sessions rewritten since it was computed start or started in (none: the hour is copied)."""
    minutes: dict[TenantHour, list[int]] = {key: ALL_MINUTES if before.year <= 1970 else [] for key, before in covered.items()}
    known = {key: before for key, before in covered.items() if before.year > 1970}
    if known:
        found = store.frame("ui_model_rollup_dirty_minutes", {
            "hours": json.dumps([[tenant, int(hour.timestamp()), (before - EPOCH) // dt.timedelta(microseconds=1)]
                                 for (tenant, hour), before in known.items()]),
            "since": param(min(known.values()))})
        for (tenant, hour), changed in zip(hours_from(found), found.get_column("minutes").to_list(), strict=True):
            minutes[(tenant, hour)] = sorted(changed)
    return minutes


class ModelRollupLoop(PeriodicLoop):
    """Runs run_model_rollups every interval seconds on its own thread until stopped."""

    def __init__(self, store: Any, interval: float, chunk_hours: int = 24) -> None:
        super().__init__("model-rollups", interval, join_timeout=2)
        self.store = store
        self.chunk_hours = chunk_hours

    def step(self) -> None:
        run_model_rollups(self.store, self.chunk_hours)  # hours not done stay due for the next run
