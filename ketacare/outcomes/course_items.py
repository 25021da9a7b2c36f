"""The worklist's course items read a page at a time, in the database's order.

Most of a large clinic's worklist comes from its courses' stored state (`CourseState`):
thousands of rows at 50,000 patients. Building every one of them per request made the
page grow with the clinic. Here each kind of course item (relapse, early warning,
futility review, booster overdue, booster due) is read by its own query, already in the
page's sort order and after the page's cursor, at most `size + 1` rows; the counts per
kind and clinician come from one aggregate, without names or Python objects.

Exactness: every source of rows gives its first `size + 1` rows after the cursor in the
sort order of `compact.sort_key`, so the first `size` rows of their merge are the page
that sorting every row would give (`worklist.build_worklist` stays as that
specification, and a property test holds the two equal). For that the database compares
what Python compares: due dates in the clinic's calendar, stored with the state; the
patient's casefolded name, stored too, compared by code point; the patient's id, whose
order as text is its order as a number.

The courses kept apart: those without a session in the last `ACTIVE_DAYS` that are on
the list only because a session is booked. They are few, and read whole by the
worklist with the other sources (`worklist._course_states`), so that the queries here
read one range of one index (`coursestate_active`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.functions import Collate

from ketacare.accounts.models import Clinic
from ketacare.common.errors import ValidationFailed
from ketacare.common.keyset import INVALID
from ketacare.outcomes.compact import HEADLINES, UNASSIGNED
from ketacare.outcomes.maintenance import overdue_as_of
from ketacare.outcomes.models import CourseState
from ketacare.outcomes.work_sources import WorkItem
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

# The kinds read here, each with the state's fields of its reason, its moment and its due
# date in the clinic's calendar. The two booster kinds share the recommended date.
FIELDS = {
    "relapse": ("relapse_reason", "relapse_at", "relapse_due"),
    "early_warning": ("warning_reason", "warning_at", "warning_due"),
    "futility": ("futility_reason", "futility_at", "futility_due"),
    "booster_overdue": ("booster_reason", "booster_date", "booster_date"),
    "booster_due": ("booster_reason", "booster_date", "booster_date"),
}
COURSE_KINDS = tuple(FIELDS)


@dataclass(frozen=True)
class Window:
    """Which courses, as of one moment: active since `active_since`; boosters judged
    against `today`, due up to `due_until`; sessions booked from `now`."""

    clinic: Clinic
    now: dt.datetime
    active_since: dt.datetime
    today: dt.date
    due_until: dt.date

    def booked(self) -> Q:
        """The course's patient has a session booked from now on: the clinic's bookings,
        which are few, read once and looked up, not once per course."""
        bookings = TreatmentSession.objects.filter(
            clinic=self.clinic,
            status=TreatmentSession.Status.SCHEDULED,
            scheduled_start__gte=self.now,
        )
        return Q(patient_id__in=bookings.values("patient_id"))

    def of_kind(self, kind: str) -> Q:
        """The condition on a course that it has an item of `kind` (`worklist._course_items`)."""
        reason = FIELDS[kind][0]
        if kind == "booster_overdue":
            return Q(booster_date__lt=self.today, decided=False) & ~self.booked()
        if kind == "booster_due":
            soon = Q(booster_date__gte=self.today, booster_date__lte=self.due_until)
            return soon & Q(decided=False) & ~self.booked()
        return ~Q(**{reason: ""})

    def active(self) -> QuerySet[CourseState]:
        """Current courses with an item, of patients on the list, with a session since
        `active_since`: one range of the partial index `coursestate_active`."""
        archived = Patient.objects.filter(
            clinic=self.clinic, pk=OuterRef("patient"), archived_at__isnull=False
        )
        return CourseState.objects.filter(
            clinic=self.clinic,
            is_current=True,
            has_item=True,
            last_session_at__gte=self.active_since,
        ).exclude(Exists(archived))


def of_clinician(rows: QuerySet[CourseState], prescriber_id: int | None) -> QuerySet[CourseState]:
    """The rows of one prescriber (None: all; UNASSIGNED: no prescriber yet)."""
    if prescriber_id is None:
        return rows
    if prescriber_id == UNASSIGNED:
        return rows.filter(Q(prescriber_id__isnull=True) | Q(prescriber_id=UNASSIGNED))
    return rows.filter(prescriber_id=prescriber_id)


# --- counts ------------------------------------------------------------------------------


def counts_by_clinician(window: Window) -> dict[int | None, dict[str, int]]:
    """How many items of each kind each prescriber's active courses have. One query."""
    per_kind = {kind: Count("pk", filter=window.of_kind(kind)) for kind in COURSE_KINDS}
    rows = window.active().values("prescriber_id").annotate(**per_kind).order_by()
    return {row.pop("prescriber_id"): row for row in rows}


# --- a page ------------------------------------------------------------------------------

# A part of a sort key (`compact.sort_key`) as the database reads it: a constant, a due
# date (two strings of the key: "0" and the ISO date, or "1" and "" for none), a text
# compared by code point, or the patient's id.
Part = tuple[str, str]


def _parts(sort: str, kind: str, rank: str, due: str) -> list[Part]:
    """The key of `compact.sort_key` for one kind of course item, part by part."""
    tie = [("uuid", "patient_id"), ("const", kind)]
    if sort == "due":
        return [("due", due), ("const", rank), *tie]
    if sort == "patient":
        return [("text", "sort_name"), ("due", due), *tie]
    return [("const", rank), ("due", due), *tie]


def _binary(field: str) -> Any:
    """A text column compared by code point, as Python compares strings: SQLite's own
    comparison does so; PostgreSQL's follows the database's collation unless told."""
    return Collate(F(field), "C") if connection.vendor == "postgresql" else F(field)


def _invalid() -> ValidationFailed:
    return ValidationFailed.single("cursor", INVALID, location="query")


def _compare(part: Part, values: Sequence[str]) -> tuple[Q | bool, Q | bool]:
    """Rows whose part is greater than the cursor's values, and rows whose part equals
    them (True: all rows; False: none)."""
    what, name = part
    if what == "const":
        return name > values[0], name == values[0]
    if what == "text":
        return Q(**{f"{name}_binary__gt": values[0]}), Q(**{f"{name}_binary": values[0]})
    if what == "uuid":
        try:
            found = uuid.UUID(values[0])
        except ValueError:
            raise _invalid() from None
        if str(found) != values[0]:
            raise _invalid()
        return Q(**{f"{name}__gt": found}), Q(**{name: found})
    flag, day = values
    if flag == "1" and day == "":  # a row without a due date: only such rows follow
        return False, Q(**{f"{name}__isnull": True})
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise _invalid() from None
    if flag != "0" or date.isoformat() != day:
        raise _invalid()
    return Q(**{f"{name}__gt": date}) | Q(**{f"{name}__isnull": True}), Q(**{name: date})


def _both(left: Q | bool, right: Q | bool) -> Q | bool:
    if left is False or right is False:
        return False
    if left is True:
        return right
    if right is True:
        return left
    return left & right


def _either(left: Q | bool, right: Q | bool) -> Q | bool:
    if left is True or right is True:
        return True
    if left is False:
        return right
    if right is False:
        return left
    return left | right


def after_key(parts: Sequence[Part], after: Sequence[str]) -> Q | bool:
    """The rows whose key is greater than `after`, compared as tuples are."""
    compared = []
    position = 0
    for part in parts:
        width = 2 if part[0] == "due" else 1
        compared.append(_compare(part, after[position : position + width]))
        position += width
    following: Q | bool = False
    for greater, equal in reversed(compared):
        following = _either(greater, _both(equal, following))
    return following


def _ordering(parts: Sequence[Part]) -> list[OrderBy]:
    order = []
    for what, name in parts:
        if what == "due":
            order.append(F(name).asc(nulls_last=True))
        elif what == "text":
            order.append(F(f"{name}_binary").asc())
        elif what == "uuid":
            order.append(F(name).asc())
    return order


ROW = ("patient_id", "prescriber_id", "booster_date", "booster_reason")


def _kind_rows(
    window: Window,
    rows: QuerySet[CourseState],
    kind: str,
    *,
    sort: str,
    rank: str,
    after: Sequence[str] | None,
    size: int,
    url: Callable[[uuid.UUID], str],
) -> list[WorkItem]:
    """The first `size + 1` items of one kind after the cursor, in the sort's order."""
    reason, when, due = FIELDS[kind]
    parts = _parts(sort, kind, rank, due)
    found = rows.filter(window.of_kind(kind))
    if sort == "patient":  # the name, compared as Python compares it (`_parts`)
        found = found.annotate(sort_name_binary=_binary("sort_name"))
    if after is not None:
        following = after_key(parts, after)
        if following is False:
            return []
        if following is not True:
            found = found.filter(following)
    fields = dict.fromkeys((*ROW, reason, when, due))
    values = found.order_by(*_ordering(parts)).values_list(*fields)[: size + 1]
    return [
        course_item(kind, dict(zip(fields, row, strict=True)), window.today, url) for row in values
    ]


def course_item(
    kind: str, row: Mapping[str, Any], today: dt.date, url: Callable[[uuid.UUID], str]
) -> WorkItem:
    """A course's item of `kind` from its stored state's fields, without the patient's
    name (`worklist._named` adds it); only "due" and "overdue" depend on today."""
    reason, when, due = FIELDS[kind]
    summary = row[reason]
    if kind.startswith("booster_"):
        summary = overdue_as_of(row[when], summary, today)[1]
    return WorkItem(
        kind,
        row["patient_id"],
        summary,
        row[when],
        url(row["patient_id"]),
        headline=HEADLINES[kind],
        due=row[due],
        prescriber_id=row["prescriber_id"],
    )


def page_candidates(
    window: Window,
    *,
    kinds: Iterable[str],
    prescriber_id: int | None,
    sort: str,
    ranks: Mapping[str, str],
    after: Sequence[str] | None,
    size: int,
    url: Callable[[uuid.UUID], str],
) -> list[WorkItem]:
    """For each of `kinds` (in the urgency order), its first `size + 1` items after the
    cursor: enough for any page that starts there. One query per kind; most urgent first,
    once `size + 1` items are found, the kinds after them cannot reach the page."""
    rows = of_clinician(window.active(), prescriber_id)
    found: list[WorkItem] = []
    for kind in kinds:
        if sort == "urgency" and len(found) > size:
            break
        if kind in FIELDS:
            found += _kind_rows(
                window, rows, kind, sort=sort, rank=ranks[kind], after=after, size=size, url=url
            )
    return found
