"""A session left open: started on the record (checked in, or further) and not discharged
long after any session could still be going on. Pure Python, no Django.

The worklist raises one item per such session ("Session left open"), however many
readings it has missed since (the session page counts those, `overdue_count`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketacare.treatment.lifecycle import State

# Begun and not yet discharged: the patient is, on the record, still in the clinic.
OPEN_STATES = frozenset(
    {
        State.CHECKED_IN,
        State.PRE_DOSE,
        State.DOSING,
        State.MONITORING,
        State.READY_FOR_DISCHARGE,
    }
)

DEFAULT_LEFT_OPEN_HOURS = 12
LEFT_OPEN_SOURCE = (
    "Operational choice, not a published threshold: the longest session KetaCare runs is "
    "an esketamine session (at least 2 hours of observation after dosing, Spravato label, "
    "clinical.md §2.2; longer while the blood pressure is rechecked), booked for 150 "
    "minutes by default (docs/schedule.md). 12 hours is several times that and more than a "
    "clinic day, so a session still open after it was left open, and it is flagged before "
    "the next morning's list."
)


@dataclass(frozen=True)
class LeftOpen:
    state: State
    since: dt.datetime  # when the session began on the record
    flagged_at: dt.datetime  # since + the limit: when it became "left open"
    hours: int  # whole hours open at `now`


def opened_at(
    *,
    scheduled_start: dt.datetime,
    checked_in_at: dt.datetime | None,
    dosing_started_at: dt.datetime | None,
) -> dt.datetime:
    """When the session began on the record: the earliest of check-in and the start of
    dosing, else (a record without either, e.g. entered late) its scheduled start."""
    known = [t for t in (checked_in_at, dosing_started_at) if t is not None]
    return min(known) if known else scheduled_start


def left_open(
    state: State | str, since: dt.datetime, now: dt.datetime, *, limit_hours: float
) -> LeftOpen | None:
    """The session as left open when it is in an open state and has been for more than
    `limit_hours` at `now`; else None."""
    if limit_hours <= 0:
        raise ValueError("the left-open limit must be a positive number of hours")
    state = State(state)
    if state not in OPEN_STATES:
        return None
    limit = dt.timedelta(hours=limit_hours)
    if now - since <= limit:
        return None
    return LeftOpen(state, since, since + limit, int((now - since).total_seconds() // 3600))
