"""The dashboard's counts kept by the writes (`OutcomeCount`).

Every course adds one to a cell per facet on each judged instrument: its first-dose
month, prescriber, protocol, route and indication, each with its verdicts; and, for a
responder, its whole days and sessions to response and its whole days free of relapse;
and its last value in each week of treatment. The dashboard with no filter reads these
cells, which are as many as the clinic has distinct values, not courses.

- **Kept in the write's transaction.** `_store` in state.py replaces a patient's course
  rows; `counts_move` adds the new rows' cells and takes the old rows' away, so a cell
  changes only when a course's verdict, duration or weekly value does.
- **One lock order.** A cell is shared by the clinic's writers, and every write also
  locks the clinic's audit chain. Today's services that move cells audit before they
  refresh; a service may refresh first (a patient's new name does, and moves no cell), so
  the refresh locks the chain itself before any cell: whatever a service's order, two
  writers never wait on each other in a circle.
- **Recounted, not trusted, by a rebuild.** A rebuild (`outcomes-rebuild`, a change of
  settings) replaces the clinic's cells by the cells of the rows it wrote
  (`counts_replace`); `migrate` counts those of clinics stored before the cells from
  their rows (`counts_recount`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import connection, transaction

from ketacare.accounts.models import Clinic
from ketacare.audit import head
from ketacare.outcomes.data import whole_days
from ketacare.outcomes.models import CourseInstrumentState, CourseState, OutcomeCount
from ketacare.outcomes.trajectories import last_in_each_week

Facet = OutcomeCount.Facet
Cell = tuple[str, str, str, str]  # instrument, facet, value, detail

# The course's field each verdict facet groups by.
GROUPED_BY: Mapping[str, str] = {
    Facet.MONTH: "first_dose_month",
    Facet.PRESCRIBER: "prescriber_id",
    Facet.PROTOCOL: "protocol",
    Facet.ROUTE: "route",
    Facet.INDICATION: "indication",
}


def verdict_detail(response: str, remission: str) -> str:
    return f"{response}/{remission}"


def cells_of(course: CourseState, row: CourseInstrumentState) -> Iterator[Cell]:
    """The cells one course adds one to on `row`'s instrument."""
    instrument = row.instrument
    verdict = verdict_detail(row.response, row.remission)
    for facet, attribute in GROUPED_BY.items():
        value = getattr(course, attribute)
        yield (instrument, facet, "" if value is None else str(value), verdict)
    if row.days_to_response is not None:
        yield (instrument, Facet.DAYS_TO_RESPONSE, str(whole_days(row.days_to_response)), "")
        yield (instrument, Facet.SESSIONS_TO_RESPONSE, str(row.sessions_to_response or 0), "")
        if row.response_days is not None and row.relapsed is not None:
            event = "relapsed" if row.relapsed else "censored"
            yield (instrument, Facet.RESPONSE_LASTED, str(whole_days(row.response_days)), event)
    # The weekly values, as CourseWeekValue stores them (state._week_values).
    for week, value in last_in_each_week((d, v) for d, v in row.series or ()).items():
        yield (instrument, Facet.WEEK, str(week), repr(value))


def tally(rows: Iterable[CourseInstrumentState]) -> Counter[Cell]:
    """The cells of instrument rows, each with its `course`."""
    counted: Counter[Cell] = Counter()
    for row in rows:
        counted.update(cells_of(row.course, row))
    return counted


def stored_tally(clinic: Clinic, patient_ids: Iterable[Any] | None = None) -> Counter[Cell]:
    """The cells of the clinic's stored courses (only these patients', if given)."""
    rows = CourseInstrumentState.objects.filter(clinic=clinic).select_related("course")
    if patient_ids is not None:
        rows = rows.filter(course__patient_id__in=list(patient_ids))
    return tally(rows.iterator(chunk_size=2000))


def counts_move(clinic: Clinic, before: Counter[Cell], after: Counter[Cell]) -> None:
    """Move the clinic's cells from `before` (the rows replaced) to `after` (the new
    rows), in the caller's transaction."""
    change = Counter(after)
    change.subtract(before)
    _add(clinic, {cell: n for cell, n in change.items() if n})


def counts_recount(clinic: Clinic) -> int:
    """Count the clinic's cells again from its stored rows. Answers the cells kept."""
    return counts_replace(clinic, stored_tally(clinic))


@transaction.atomic
def counts_replace(clinic: Clinic, counted: Counter[Cell]) -> int:
    """Replace the clinic's cells by `counted` (every stored course's cells)."""
    head.locked(clinic)
    OutcomeCount.objects.filter(clinic=clinic).delete()
    OutcomeCount.objects.bulk_create(
        OutcomeCount(clinic=clinic, instrument=i, facet=f, value=v, detail=d, courses=n)
        for (i, f, v, d), n in sorted(counted.items())
    )
    return len(counted)


def _add(clinic: Clinic, change: Mapping[Cell, int]) -> None:
    """Add each cell's change, creating the cells not there yet: one statement, the
    cells in a fixed order, after the chain's lock (see the module's note)."""
    if not change:
        return
    head.locked(clinic)
    table = connection.ops.quote_name(OutcomeCount._meta.db_table)
    rows = sorted(change.items())
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for (instrument, facet, value, detail), n in rows:
        params += [clinic.pk, instrument, facet, value, detail, n]
    sql = (
        f"INSERT INTO {table} (clinic_id, instrument, facet, value, detail, courses) "  # noqa: S608 - names are the model's
        f"VALUES {placeholders} "
        "ON CONFLICT (clinic_id, instrument, facet, value, detail) "
        f"DO UPDATE SET courses = {table}.courses + excluded.courses"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
