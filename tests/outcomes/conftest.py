"""A clinic's care team and helpers that write courses THROUGH THE SERVICES: sessions
are booked and given with ketacare.treatment.services, scores recorded with
measures.services.response_record. Days count from the first dose, 09:00 UTC on
2 March 2026 (day 0), as in tests/outcomes_core/builders.py."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.measures import services as measures
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.measures.conftest import Team, make_team, register

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def at(day: float, hour: float = 9, origin: dt.datetime = T0) -> dt.datetime:
    return origin + dt.timedelta(days=day, hours=hour - 9)


def spread(total: int, count: int, top: int) -> list[int]:
    """`count` item values in 0..top adding up to `total`, filled item by item."""
    values = []
    for _ in range(count):
        values.append(min(top, total))
        total -= values[-1]
    assert total == 0, "total too high for the scale"
    return values


def madrs(total: int) -> list[int]:
    return [*spread(total, 9, 6), 0]  # item 10 (suicidal thoughts) 0: no safety alert


def phq9(total: int) -> list[int | None]:
    return [*spread(total, 8, 3), 0, 1 if total else None]  # item 9 0; difficulty asked


def give(access: ClinicAccess, patient: Patient, when: dt.datetime) -> uuid.UUID:
    """A session given at `when`, entered from the paper chart with what it needs."""
    from tests.sessions.build import record_past

    return record_past(access, patient, when, booked_at=when - dt.timedelta(minutes=10)).pk


def record(
    access: ClinicAccess,
    patient: Patient,
    when: dt.datetime,
    total: int,
    *,
    instrument: str = "madrs",
    context: str = "between_sessions",
    offset_hours: int | None = None,
) -> uuid.UUID:
    answers = madrs(total) if instrument == "madrs" else phq9(total)
    recorded = measures.response_record(
        access=access,
        patient_id=patient.pk,
        instrument=instrument,
        answers=answers,
        context=context,
        answered_at=when,
        offset_hours=offset_hours,
    )
    return recorded.score.pk


def write_course(
    access: ClinicAccess,
    patient: Patient,
    session_days: Iterable[float],
    scores: Iterable[Sequence[float]],
    *,
    instrument: str = "madrs",
    origin: dt.datetime = T0,
) -> None:
    """Sessions at 09:00 on the given days; scores as (day, total[, hour]) at 10:00 by
    default, all written in time order through the services. Day 0 is `origin`."""
    events: list[tuple[dt.datetime, str, int]] = [
        (at(d, origin=origin), "session", 0) for d in session_days
    ]
    for entry in scores:
        day, total = entry[0], int(entry[1])
        hour = entry[2] if len(entry) > 2 else 10
        events.append((at(day, hour, origin), "score", total))
    for when, kind, total in sorted(events):
        if kind == "session":
            give(access, patient, when)
        else:
            record(access, patient, when, total, instrument=instrument)


def as_legacy_records(patient: Patient) -> None:
    """The patient's sessions as a clinic's records from before a session needed an order
    (and so a protocol) to be given: e.g. imported from its earlier system. The course
    they form has no protocol."""
    TreatmentSession.objects.filter(patient=patient).update(protocol_code="")


# A Monday: a booster due in two days falls on a Wednesday, when the clinic is open.
A_MONDAY = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)


def write_recent_two_week_relief(
    access: ClinicAccess, patient: Patient, today: dt.datetime = A_MONDAY
) -> None:
    """A maintenance course whose relief is lost 14 days after each of the last two
    sessions, the last of them nine days before `today`: a booster is recommended in two
    days. The clock is left fixed at `today`."""
    from tests.outcomes.test_maintenance import TWO_WEEK_RELIEF

    fix_clock(today)
    origin = today - dt.timedelta(days=46)
    write_course(access, patient, *TWO_WEEK_RELIEF, instrument="phq9", origin=origin)


@pytest.fixture
def team(clinic: Clinic) -> Team:
    return make_team(clinic)


@pytest.fixture
def patient(team: Team) -> Patient:
    return register(team.nurse)
