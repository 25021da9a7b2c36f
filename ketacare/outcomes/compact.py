"""The worklist as a prescriber scans it: a few words for what each item is, a small
score trend, when it is due in words, and the rows filtered and sorted. Pure: no Django.

The full reasoning of an item (its `summary`) stays on the item, one click away on the
page; nothing here decides what is on the list, only how it reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

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
    def patient_id(self) -> object: ...
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
    return sorted(chosen, key=sort_key(sort, kinds_in_order))


SORT_KEY_LENGTH = 5  # the strings in each sort key below


def kind_ranks(kinds_in_order: Sequence[str]) -> dict[str, str]:
    """Each kind's place in the urgency order, zero-padded to sort as text."""
    return {kind: f"{i:03d}" for i, kind in enumerate(kinds_in_order)}


def sort_key(sort: str, kinds_in_order: Sequence[str]) -> Callable[[Row], tuple[str, ...]]:
    """A row's place in the sort as a tuple of strings (ranks zero-padded, dates in ISO
    form), ending with the patient and the kind, so that no two rows tie and a page can
    start after the row a cursor names."""
    ranks = kind_ranks(kinds_in_order)
    unranked = f"{len(ranks):03d}"

    def key(row: Row) -> tuple[str, ...]:
        kind_rank = ranks.get(row.kind, unranked)
        due = ("1", "") if row.due is None else ("0", row.due.isoformat())
        tie = (str(row.patient_id), row.kind)
        if sort == "due":
            return (*due, kind_rank, *tie)
        if sort == "patient":
            return (row.patient_name.casefold(), *due, *tie)
        return (kind_rank, *due, *tie)

    return key


@dataclass(frozen=True)
class RowPage(Generic[R]):
    rows: list[R]
    after: tuple[str, ...] | None  # the sort key of the last row, when more rows follow


def page_after(
    rows: Sequence[R],
    *,
    sort: str,
    after: Sequence[str] | None,
    size: int,
    kinds_in_order: Sequence[str] = tuple(HEADLINES),
) -> RowPage[R]:
    """The `size` sorted rows after the row whose key is `after`. Work done since the last
    page (a row gone, a row new) shifts nothing: the page starts after a key, not at a
    position."""
    key = sort_key(sort, kinds_in_order)
    following = [row for row in rows if after is None or key(row) > tuple(after)]
    page = following[:size]
    return RowPage(page, key(page[-1]) if len(following) > size else None)
