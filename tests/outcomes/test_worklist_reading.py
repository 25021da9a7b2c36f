"""The worklist read a page at a time from the database (`course_items`, `worklist_open`)
equals the specification: every item built in Python, filtered, sorted and paged
(`build_worklist(...).page(...)`), for random course states, names, dates near midnight,
bookings, archived patients, clinicians, kinds, sorts and page sizes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ketacare.outcomes.compact import SORTS, UNASSIGNED
from ketacare.outcomes.course_items import COURSE_KINDS
from ketacare.outcomes.models import CourseState
from ketacare.outcomes.state import sort_names_of
from ketacare.outcomes.worklist import build_worklist, worklist_open
from ketacare.patients import services as patients
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.measures.conftest import Team, register

from .conftest import at

pytestmark = pytest.mark.django_db
NOW = at(200, hour=23.5)  # late evening: moments a few hours apart fall on two dates

# Names whose casefolded order differs from their order as typed, and from a locale's.
NAMES = ["Straße", "STRASSE", "strasse", "Zoë", "zoe", "Éclair", "eclair", "ab", "aB", "Ab"]
# A few days apart at most, so that items share due dates and the ties are broken.
MOMENT = st.integers(min_value=-3 * 24, max_value=24).map(
    lambda hours: NOW + dt.timedelta(hours=hours)
)
COURSE = st.fixed_dictionaries(
    {
        "name": st.sampled_from(NAMES),
        "given": st.sampled_from(["Ana", "bo", "Ünal"]),
        "relapse": st.none() | MOMENT,
        "warning": st.none() | MOMENT,
        "futility": st.none() | MOMENT,
        "booster": st.none() | st.integers(min_value=-2, max_value=4),
        "decided": st.booleans(),
        "booked": st.booleans(),
        "idle_days": st.sampled_from([0, 5, 119, 121, 300]),  # ACTIVE_DAYS is 120
        "archived": st.integers(0, 5).map(lambda n: n == 0),
        "prescriber": st.sampled_from(["prescriber", "other", None]),
        "left_open": st.integers(0, 4).map(lambda n: n == 0),  # an item of another source
    }
)
CHOICE = st.fixed_dictionaries(
    {
        # Mostly every kind, else one the courses or the sessions left open give.
        "kind": st.sampled_from(["", "", "", *COURSE_KINDS, "session_left_open"]),
        "clinician": st.sampled_from([None, None, UNASSIGNED, "prescriber"]),
        "size": st.integers(min_value=1, max_value=4),
        "zone": st.sampled_from(["UTC", "America/New_York", "Pacific/Auckland"]),
    }
)


def _state(team: Team, patient: Patient, course: dict[str, Any]) -> CourseState:
    clinic, last = team.clinic, NOW - dt.timedelta(days=course["idle_days"])
    reasons = {kind: f"{kind} of {patient.mrn}" for kind in ("relapse", "warning", "futility")}
    booster = course["booster"]
    prescriber = {"prescriber": team.prescriber.user.pk, "other": team.nurse.user.pk}
    state = CourseState(
        clinic=clinic,
        patient=patient,
        is_current=True,
        first_dose_at=last - dt.timedelta(days=30),
        first_dose_date=clinic.date_of(last - dt.timedelta(days=30)),
        first_dose_month="2026-01",
        induction_end_at=last,
        last_session_id=uuid.uuid4(),
        last_session_at=last,
        prescriber_id=prescriber.get(course["prescriber"]),
        booster_date=None if booster is None else clinic.date_of(NOW) + dt.timedelta(booster),
        booster_reason=f"booster for {patient.mrn}",
        decided=course["decided"],
        sort_name=sort_names_of([patient.pk])[patient.pk],
    )
    for kind, reason in reasons.items():
        moment = course[kind]
        if moment is not None:
            setattr(state, f"{kind}_reason", reason)
            setattr(state, f"{kind}_at", moment)
            setattr(state, f"{kind}_due", clinic.date_of(moment))
    flagged = any(course[kind] for kind in reasons)
    state.has_item = flagged or (booster is not None and not course["decided"])
    return state


def _session(team: Team, patient: Patient, status: str, start: dt.datetime) -> None:
    TreatmentSession.objects.create(
        clinic=team.clinic,
        patient=patient,
        scheduled_start=start,
        checked_in_at=start if status != TreatmentSession.Status.SCHEDULED else None,
        status=status,
        created_by=team.nurse.user,
        protocol_code="esketamine_trd",
    )


def _fill(team: Team, courses: list[dict[str, Any]]) -> None:
    for n, course in enumerate(courses):
        names = {"legal_given_name": course["given"], "legal_family_name": course["name"]}
        patient = register(team.nurse, mrn=f"RD-{n}", **names)
        _state(team, patient, course).save()
        if course["booked"]:
            _session(team, patient, TreatmentSession.Status.SCHEDULED, NOW + dt.timedelta(1))
        if course["left_open"]:
            _session(team, patient, TreatmentSession.Status.CHECKED_IN, NOW - dt.timedelta(2))
        if course["archived"]:
            patients.patient_archive(access=team.admin, patient_id=patient.pk, reason="moved")


def _shown(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (r.patient_id, r.kind, r.summary, r.due, r.prescriber_id, r.url, r.patient_name, r.mrn)
        for r in rows
    ]


def _walk(team: Team, choice: dict[str, Any], clinician: int | None, sort: str) -> list[Any]:
    """Every page of the chosen rows through `worklist_open`, checking each page's counts
    against the specification's."""
    spec = build_worklist(team.prescriber, NOW)
    filters = {"kind": choice["kind"], "prescriber_id": clinician, "sort": sort}
    cursor, walked = "", []
    while True:
        opened = worklist_open(
            access=team.prescriber, now=NOW, cursor=cursor, size=choice["size"], **filters
        )
        expected, expected_next, expected_matching = spec.page(
            **filters, cursor=cursor, size=choice["size"]
        )
        assert _shown(opened.rows) == _shown(expected)
        assert opened.next_cursor == expected_next
        assert opened.matching == expected_matching
        assert opened.work.counts() == spec.counts()
        assert opened.work.clinicians == spec.clinicians
        walked += opened.rows
        if not opened.next_cursor:
            return walked
        cursor = opened.next_cursor


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(courses=st.lists(COURSE, min_size=1, max_size=9), choice=CHOICE)
@example(  # two patients whose names casefold alike: the tie falls to the patient's id
    courses=[
        {
            "name": name,
            "given": "Ana",
            "relapse": NOW,
            "warning": None,
            "futility": NOW - dt.timedelta(hours=1),
            "booster": -1,
            "decided": False,
            "booked": False,
            "idle_days": 0,
            "archived": False,
            "prescriber": None,
            "left_open": True,
        }
        for name in ("Straße", "STRASSE")
    ],
    choice={"kind": "", "clinician": None, "size": 1, "zone": "UTC"},
)
def test_the_pages_read_from_the_database_equal_the_specification(
    team: Team, courses: list[dict[str, Any]], choice: dict[str, Any]
) -> None:
    fix_clock(NOW)
    with transaction.atomic():
        for access in (team.prescriber, team.nurse, team.admin):
            access.clinic.time_zone = choice["zone"]
        team.clinic.time_zone = choice["zone"]
        team.clinic.save(update_fields=["time_zone"])
        _fill(team, courses)
        clinician = choice["clinician"]
        if clinician == "prescriber":
            clinician = team.prescriber.user.pk
        spec = build_worklist(team.prescriber, NOW)
        for sort in SORTS:
            walked = _walk(team, choice, clinician, sort)
            everything = spec.rows(kind=choice["kind"], prescriber_id=clinician, sort=sort)
            assert _shown(walked) == _shown(everything)
        transaction.set_rollback(True)
