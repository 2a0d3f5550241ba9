"""The state machine of one rule and series: ok -> pending (held for `for:`) -> firing -> resolved, and what
to tell the channels. Pure: the previous state and this evaluation in, the next state and at most one
notification out.

- A breach starts pending (firing at once when `for:` is 0); a pending series fires once the breach held
  for `for:`, and goes back to ok as soon as it does not (so a metric flapping around its threshold does not
  page); a firing series resolves when the breach ends or its series disappears.
- Notifications: 'trigger' when a series is firing and the channels were not told so (also when a silence
  that hid the firing ends), 'resolve' when a series the channels were told about stops firing (even under
  a silence: an open incident must close), 'repeat' every repeat_interval while firing. Silenced series
  change state and history as usual, but send no trigger or repeat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

OK, PENDING, FIRING, RESOLVED = "ok", "pending", "firing", "resolved"


@dataclass(frozen=True)
class SeriesState:
    rule: str
    series_key: str
    tenant: str
    agent_name: str
    labels: str  # JSON
    state: str = OK
    state_since: dt.datetime | None = None
    pending_since: dt.datetime | None = None
    fired_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    value: float | None = None
    threshold: float | None = None
    summary: str = ""
    notified: str = ""  # what the channels were last told: '', 'firing' or 'resolved'
    last_notified_at: dt.datetime | None = None
    notifications: int = 0  # notifications sent so far: numbers the next one's id
    evaluated_at: dt.datetime | None = None


@dataclass(frozen=True)
class Step:
    state: SeriesState
    previous: str
    notify: str | None  # 'trigger', 'resolve', 'repeat' or None

    @property
    def changed(self) -> bool:
        return self.state.state != self.previous


def advance(current: SeriesState, breached: bool, now: dt.datetime, hold: dt.timedelta,
            repeat: dt.timedelta | None, silenced: bool) -> Step:
    """The next state of a series evaluated at now (breached False also for a series that disappeared)."""
    state = current.state
    changes: dict[str, object] = {"evaluated_at": now}
    if breached and state in (OK, RESOLVED):
        if hold <= dt.timedelta(0):
            changes.update(state=FIRING, state_since=now, pending_since=now, fired_at=now, resolved_at=None)
        else:
            changes.update(state=PENDING, state_since=now, pending_since=now)
    elif breached and state == PENDING and current.pending_since is not None and now - current.pending_since >= hold:
        changes.update(state=FIRING, state_since=now, fired_at=now, resolved_at=None)
    elif not breached and state == PENDING:
        changes.update(state=OK, state_since=now, pending_since=None)
    elif not breached and state == FIRING:
        changes.update(state=RESOLVED, state_since=now, resolved_at=now, pending_since=None)
    nxt = replace(current, **changes)  # type: ignore[arg-type]
    notify = None
    if nxt.state == FIRING and not silenced:
        if nxt.notified != FIRING:
            notify = "trigger"
        elif repeat is not None and nxt.last_notified_at is not None and now - nxt.last_notified_at >= repeat:
            notify = "repeat"
    elif nxt.state != FIRING and nxt.notified == FIRING:
        notify = "resolve"
    if notify is not None:
        nxt = replace(nxt, notified=RESOLVED if notify == "resolve" else FIRING, last_notified_at=now,
                      notifications=nxt.notifications + 1)
    return Step(nxt, state, notify)
