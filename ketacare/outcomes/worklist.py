"""The clinician worklist: what needs doing, across the clinic, each entry linked to the
place where the work is done. A fixed number of queries, however many patients: the
courses' items come from their stored state (`state.py`, `CourseState`), not from
judging every course per request."""

from __future__ import annotations

import datetime as dt
import operator
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import reduce
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.keyset import decode_values, encode_values
from ketacare.measures import get_instrument
from ketacare.measures.models import SelfReportLink
from ketacare.measures.selectors import open_alerts
from ketacare.outcomes import compact, course_items
from ketacare.outcomes.compact import HEADLINES
from ketacare.outcomes.config import config_for
from ketacare.outcomes.course_items import COURSE_KINDS, FIELDS, Window, course_item
from ketacare.outcomes.dashboard import prescriber_names
from ketacare.outcomes.maintenance import overdue_as_of
from ketacare.outcomes.models import CourseInstrumentState, CourseState
from ketacare.outcomes.services import clinic_today
from ketacare.outcomes.work_sources import WORK_SOURCES, WorkItem, WorkSource
from ketacare.patients.models import Patient, display_name_of

__all__ = [
    "KINDS",
    "WORK_SOURCES",
    "OpenedWorklist",
    "WorkItem",
    "WorkSource",
    "Worklist",
    "build_worklist",
    "worklist_open",
]

# Display windows, not clinical thresholds: which courses are still active, how soon a
# booster counts as due, how far back an unanswered self-report link is shown.
ACTIVE_DAYS = 120
DUE_SOON_DAYS = 3
UNANSWERED_DAYS = 14
# Rows shown at once (a display choice): a clinic of 50,000 patients may have thousands of
# items, and one page of them all would be slow to send and to read.
ROWS_PER_PAGE = 100

# Order of the sections on the page, most urgent first.
KINDS = {
    "safety_alert": "Open safety alerts",
    # A session begun and not discharged for hours (work_sources.sessions_left_open): a
    # patient unaccounted for on the record, so right after the safety alerts.
    "session_left_open": "Sessions left open",
    "relapse": "Relapse",
    "early_warning": "Early warnings",
    "futility": "Futility reviews due",
    "booster_overdue": "Boosters overdue",
    "booster_due": "Boosters due",
    "measures_overdue": "Measures overdue",
    # Filled from the other capabilities through WORK_SOURCES (work_sources.py):
    "rems_forms_due": "REMS forms due",
    "plans_awaiting_prescriber": "Plans awaiting prescriber action",
}


@dataclass(frozen=True)
class Worklist:
    items: list[WorkItem]
    today: dt.date
    clinicians: dict[int, str]  # prescribers of the items

    def counts(self) -> list[tuple[str, str, int]]:
        """Each kind with its label and how many items it has, as `WorklistCounts` gives
        them for the pages."""
        by_kind = dict(Counter(item.kind for item in self.items))
        return WorklistCounts(self.today, by_kind, self.clinicians).counts()

    def rows(
        self, *, kind: str = "", prescriber_id: int | None = None, sort: str = "urgency"
    ) -> list[WorkItem]:
        """The compact rows of one kind and one clinician, sorted (compact.py)."""
        return compact.select_rows(
            self.items,
            kind=kind,
            prescriber_id=prescriber_id,
            sort=sort,
            kinds_in_order=list(KINDS),
        )

    def page(
        self,
        *,
        kind: str = "",
        prescriber_id: int | None = None,
        sort: str = "urgency",
        cursor: str = "",
        size: int | None = None,
    ) -> tuple[list[WorkItem], str | None, int]:
        """One page of those rows after `cursor`, the cursor of the next page, and how
        many rows there are in all."""
        after = decode_values(cursor, compact.SORT_KEY_LENGTH, "cursor")
        rows = self.rows(kind=kind, prescriber_id=prescriber_id, sort=sort)
        page = compact.page_after(
            rows, sort=sort, after=after, size=size or ROWS_PER_PAGE, kinds_in_order=list(KINDS)
        )
        return page.rows, encode_values(page.after) if page.after else None, len(rows)


def _patient_urls(access: ClinicAccess, name: str, **kwargs: str) -> Callable[[uuid.UUID], str]:
    """A page's address for any patient of the clinic, resolved once: thousands of items
    would otherwise resolve the same route thousands of times."""
    blank = uuid.UUID(int=0)
    pattern = reverse(
        name, kwargs={"clinic_slug": access.clinic.slug, "patient_id": blank, **kwargs}
    )
    return lambda patient_id: pattern.replace(str(blank), str(patient_id))


def _outcomes_url(access: ClinicAccess) -> Callable[[uuid.UUID], str]:
    return _patient_urls(access, "patient_chart_section", section="outcomes")


def _measures_url(access: ClinicAccess) -> Callable[[uuid.UUID], str]:
    return _patient_urls(access, "patient_measures")


def _alert_items(access: ClinicAccess) -> list[WorkItem]:
    measures_url = _measures_url(access)
    return [
        WorkItem(
            "safety_alert",
            alert.patient_id,
            f"{get_instrument(alert.instrument).abbreviation}: {alert.reason}",
            alert.raised_at,
            measures_url(alert.patient_id) + "#alerts",
            headline=f"{get_instrument(alert.instrument).abbreviation} safety alert",
        )
        for alert in open_alerts(clinic=access.clinic)
    ]


def _unanswered_items(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    links = (
        SelfReportLink.objects.filter(
            clinic=access.clinic,
            completed_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__lt=now,
            expires_at__gte=now - dt.timedelta(days=UNANSWERED_DAYS),
        )
        .order_by("patient_id", "-expires_at")
        .values_list("patient_id", "instruments", "expires_at")
    )
    seen: dict[uuid.UUID, WorkItem] = {}
    measures_url = _measures_url(access)
    for patient_id, instruments, expires_at in links:
        if patient_id not in seen:
            names = ", ".join(get_instrument(str(code)).abbreviation for code in instruments)
            seen[patient_id] = WorkItem(
                "measures_overdue",
                patient_id,
                f"{names} not answered; the link expired {expires_at:%Y-%m-%d %H:%M}",
                expires_at,
                measures_url(patient_id),
                headline=f"{names} not answered",
            )
    return list(seen.values())


def _course_items(state: Any, today: dt.date, url: Callable[[uuid.UUID], str]) -> list[WorkItem]:
    """A course's items from its stored state (a row of COURSE_ROW, below), named; only
    "due" and "overdue" depend on today."""
    row = state._asdict()
    kinds = [kind for kind in ("relapse", "early_warning", "futility") if row[FIELDS[kind][0]]]
    date = state.booster_date
    soon = date is not None and date <= today + dt.timedelta(days=DUE_SOON_DAYS)
    if date is not None and soon and not state.booked and not state.decided:
        kinds.append("booster_overdue" if overdue_as_of(date, "", today)[0] else "booster_due")
    name = display_name_of(state.family_name, state.given_name, state.preferred_name)
    return [
        replace(course_item(kind, row, today, url), patient_name=name, mrn=state.mrn)
        for kind in kinds
    ]


CHUNK = 2000  # course states fetched at a time
# What _course_items reads of a course state and its patient, as plain rows: a clinic of
# 50,000 patients has thousands of items, and a model instance for each would cost more
# than the query.
COURSE_ROW = tuple(
    dict.fromkeys(
        (
            "patient_id",
            "prescriber_id",  # the state is the current course's: its prescriber is the item's
            *(name for fields in FIELDS.values() for name in fields),
            "decided",
            "booked",
            "family_name",
            "given_name",
            "preferred_name",
            "mrn",
        )
    )
)


def _course_states(access: ClinicAccess, window: Window, which: Q) -> list[WorkItem]:
    """The items of the current courses of patients on the list that `which` chooses (of
    the courses with an item and not yet read as active by `course_items`), read from
    the stored state with the patient's name: only the rows with an item, through a
    partial index."""
    rows = (
        CourseState.objects.filter(
            clinic=access.clinic,
            is_current=True,
            has_item=True,
            patient__archived_at__isnull=True,
        )
        .annotate(
            booked=ExpressionWrapper(window.booked(), output_field=BooleanField()),
            family_name=F("patient__legal_family_name"),
            given_name=F("patient__legal_given_name"),
            preferred_name=F("patient__preferred_name"),
            mrn=F("patient__mrn"),
        )
        .filter(which)
        .filter(reduce(operator.or_, (window.of_kind(kind) for kind in COURSE_KINDS)))
        .order_by("first_dose_at", "id")
        .values_list(*COURSE_ROW, named=True)
    )
    outcomes_url = _outcomes_url(access)
    items: list[WorkItem] = []
    # One query, fetched in chunks (a server-side cursor on PostgreSQL): the queries stay
    # the same however many courses have an item, and memory stays bounded.
    for state in rows.iterator(chunk_size=CHUNK):
        items += _course_items(state, window.today, outcomes_url)
    return items


def _booked_only(window: Window) -> Q:
    """Courses on the list only for a session booked: none in the last ACTIVE_DAYS."""
    return Q(last_session_at__lt=window.active_since) & window.booked()


def _window(access: ClinicAccess, now: dt.datetime) -> Window:
    today = clinic_today(access, now)
    return Window(
        access.clinic,
        now,
        now - dt.timedelta(days=ACTIVE_DAYS),
        today,
        today + dt.timedelta(days=DUE_SOON_DAYS),
    )


def _named(access: ClinicAccess, items: list[WorkItem]) -> list[WorkItem]:
    """The items of active patients with their names, a few words for what each is, the
    due date in the clinic's calendar and the prescriber of the patient's current course.
    Items that come named (_course_items) are kept as they are; the others' patients are
    read here, in two queries. The score trends are read for the page shown only
    (`_with_trends`)."""
    unnamed = {i.patient_id for i in items if not i.patient_name}
    patients = {
        p.pk: p
        for p in Patient.objects.filter(pk__in=unnamed, archived_at__isnull=True).only(
            "legal_given_name", "legal_family_name", "preferred_name", "mrn"
        )
    }
    unassigned = {i.patient_id for i in items if i.prescriber_id is None} & set(patients)
    courses = _current_courses(access, unassigned)
    named = []
    for item in items:
        if item.patient_name:
            named.append(item)
        elif (patient := patients.get(item.patient_id)) is not None:
            named.append(
                replace(
                    item,
                    patient_name=patient.display_name,
                    mrn=patient.mrn,
                    headline=item.headline or HEADLINES.get(item.kind, ""),
                    due=item.due or _due(access, item.when),
                    prescriber_id=item.prescriber_id or courses.get(item.patient_id, (None, 0))[0],
                )
            )
    return named


def _due(access: ClinicAccess, when: dt.datetime | dt.date | None) -> dt.date | None:
    if isinstance(when, dt.datetime):
        return access.clinic.date_of(when)
    return when


def _current_courses(
    access: ClinicAccess, patient_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[int | None, int]]:
    """Each patient's current course from the stored state: its prescriber and its id."""
    return {
        pid: (prescriber, pk)
        for pid, prescriber, pk in CourseState.objects.filter(
            clinic=access.clinic, patient_id__in=patient_ids, is_current=True
        ).values_list("patient_id", "prescriber_id", "pk")
    }


def _with_trends(access: ClinicAccess, rows: list[WorkItem]) -> list[WorkItem]:
    """The page's rows with the scores of each patient's current course on the primary
    instrument (two queries for the page, not for every item on the list)."""
    instrument = get_instrument(config_for(access.clinic).options.primary_instrument)
    courses = _current_courses(access, {row.patient_id for row in rows})
    course_patient = {pk: pid for pid, (_, pk) in courses.items()}
    series: dict[uuid.UUID, tuple[float, ...]] = {}
    for course_id, points in CourseInstrumentState.objects.filter(
        course_id__in=course_patient, instrument=instrument.code
    ).values_list("course_id", "series"):
        series[course_patient[course_id]] = tuple(float(value) for _, value in points or ())
    return [
        replace(
            row,
            trend=series.get(row.patient_id, ()),
            instrument=instrument.abbreviation if series.get(row.patient_id) else "",
        )
        for row in rows
    ]


def _other_items(access: ClinicAccess, window: Window) -> list[WorkItem]:
    """The items that do not come from the active courses: safety alerts, unanswered
    links, the other capabilities' sources, and courses on the list only for a booking.
    Tens of rows, whatever the size of the clinic."""
    items = _alert_items(access)
    items += _unanswered_items(access, window.now)
    for source in WORK_SOURCES:
        items += source(access, window.now)
    items += _course_states(access, window, _booked_only(window))
    return _named(access, items)


def build_worklist(access: ClinicAccess, now: dt.datetime) -> Worklist:
    """Every item on the worklist, built in Python: the specification that the pages of
    `worklist_open` (read from the database a page at a time) are held equal to."""
    window = _window(access, now)
    named = _course_states(access, window, Q(last_session_at__gte=window.active_since))
    named += _other_items(access, window)
    return Worklist(named, window.today, prescriber_names(i.prescriber_id for i in named))


@dataclass(frozen=True)
class WorklistCounts:
    """How many items of each kind the whole worklist has, and its clinicians."""

    today: dt.date
    by_kind: dict[str, int]
    clinicians: dict[int, str]  # the prescribers of the items

    def counts(self) -> list[tuple[str, str, int]]:
        return [(kind, label, self.by_kind.get(kind, 0)) for kind, label in KINDS.items()]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


@dataclass(frozen=True)
class OpenedWorklist:
    work: WorklistCounts  # the counts per kind and the clinicians of every item
    rows: list[WorkItem]  # the page shown
    next_cursor: str | None  # the page after it, if there is one
    matching: int  # the rows of the chosen kind and clinician, on every page


def _counted(
    window: Window, others: list[WorkItem], *, prescriber_id: int | None
) -> tuple[WorklistCounts, Counter[str]]:
    """The counts of every item by kind, and of the chosen clinician's by kind."""
    by_kind = Counter(item.kind for item in others)
    chosen = Counter(i.kind for i in compact.select_rows(others, prescriber_id=prescriber_id))
    clinicians = {item.prescriber_id for item in others}
    for prescriber, counts in course_items.counts_by_clinician(window).items():
        by_kind.update(counts)
        if any(counts.values()):
            clinicians.add(prescriber)
        if prescriber_id is None or (prescriber or compact.UNASSIGNED) == prescriber_id:
            chosen.update(counts)
    return WorklistCounts(window.today, dict(by_kind), prescriber_names(clinicians)), chosen


@transaction.atomic
def worklist_open(
    *,
    access: ClinicAccess,
    now: dt.datetime,
    kind: str = "",
    prescriber_id: int | None = None,
    sort: str = "urgency",
    cursor: str = "",
    size: int | None = None,
) -> OpenedWorklist:
    """One page of the worklist: the active courses' items read a page at a time in the
    database's order (`course_items`), merged with the other items. The same page as
    `build_worklist(...).page(...)` gives. It names patients, so opening it is audited
    once, with the patients the page showed."""
    access.require(Permission.VIEW_CHART)
    size = size or ROWS_PER_PAGE
    after = decode_values(cursor, compact.SORT_KEY_LENGTH, "cursor")
    window = _window(access, now)
    others = _other_items(access, window)
    work, chosen = _counted(window, others, prescriber_id=prescriber_id)
    order = list(KINDS)
    candidates = course_items.page_candidates(
        window,
        kinds=[kind] if kind else order,
        prescriber_id=prescriber_id,
        sort=sort,
        ranks=compact.kind_ranks(order),
        after=after,
        size=size,
        url=_outcomes_url(access),
    )
    rows = compact.select_rows(
        [*others, *_named(access, candidates)],
        kind=kind,
        prescriber_id=prescriber_id,
        sort=sort,
        kinds_in_order=order,
    )
    page = compact.page_after(rows, sort=sort, after=after, size=size, kinds_in_order=order)
    shown = _with_trends(access, page.rows)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="worklist",
        details={"patient_ids": sorted({str(i.patient_id) for i in shown}), "cursor": cursor},
    )
    next_cursor = encode_values(page.after) if page.after else None
    matching = chosen[kind] if kind else chosen.total()
    return OpenedWorklist(work, shown, next_cursor, matching)
