"""The worklist as a prescriber scans it: a few words for what each item is, a small
score trend, when it is due in words, and the rows filtered and sorted. Pure: no Django.

The full reasoning of an item (its `summary`) stays on the item, one click away on the
page; nothing here decides what is on the list, only how it reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

# A few words per kind of work: the row's "what".
HEADLINES = {
    "safety_alert": "Safety alert",
    "session_left_open": "Session left open",
    "relapse": "Relapse",
    "early_warning": "Early warning",
    "futility": "Futility review",
    "booster_overdue": "Booster overdue",
    "booster_due": "Booster due",
    "measures_overdue": "Questionnaire not answered",
    "rems_forms_due": "REMS form due",
    "plans_awaiting_prescriber": "Plan needs a prescriber",
}

SORTS = {
    "urgency": "Most urgent first",
    "due": "Due date, earliest first",
    "patient": "Patient name",
}

R = TypeVar("R", bound="Row")

UNASSIGNED = 0  # the clinician filter's value for items of patients with no prescriber yet


class Row(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def due(self) -> dt.date | None: ...
    @property
    def patient_name(self) -> str: ...
    @property
    def prescriber_id(self) -> int | None: ...


def due_words(when: dt.date | None, today: dt.date) -> str:
    """ "today", "in 3 days", "5 days ago": how far a date is from today."""
    if when is None:
        return ""
    days = (when - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


@dataclass(frozen=True)
class Sparkline:
    """An SVG polyline of a score series, higher scores drawn higher, and its ends."""

    points: str  # "x,y x,y …" in a width × height box
    first: float
    last: float
    width: int
    height: int


def sparkline(
    values: Sequence[float], *, width: int = 80, height: int = 20, pad: int = 2
) -> Sparkline | None:
    """The trend of a series of scores; None with fewer than two points (no trend)."""
    if len(values) < 2:
        return None
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / (len(values) - 1)
    inner = height - 2 * pad
    points = " ".join(
        f"{pad + i * step:.1f},{pad + inner - (value - low) / span * inner:.1f}"
        for i, value in enumerate(values)
    )
    return Sparkline(points, values[0], values[-1], width, height)


def select_rows(
    rows: Iterable[R],
    *,
    kind: str = "",
    prescriber_id: int | None = None,
    sort: str = "urgency",
    kinds_in_order: Sequence[str] = tuple(HEADLINES),
) -> list[R]:
    """The rows of one kind and one clinician (UNASSIGNED: no prescriber), sorted. Urgency
    is the kinds' order, then the earliest due; rows without a date go last."""
    chosen = [
        row
        for row in rows
        if (not kind or row.kind == kind)
        and (prescriber_id is None or (row.prescriber_id or UNASSIGNED) == prescriber_id)
    ]
    rank = {k: i for i, k in enumerate(kinds_in_order)}

    def due(row: R) -> tuple[bool, dt.date]:
        return (row.due is None, row.due or dt.date.max)

    if sort == "due":
        return sorted(chosen, key=lambda row: (*due(row), rank.get(row.kind, len(rank))))
    if sort == "patient":
        return sorted(chosen, key=lambda row: (row.patient_name.casefold(), *due(row)))
    return sorted(chosen, key=lambda row: (rank.get(row.kind, len(rank)), *due(row)))
