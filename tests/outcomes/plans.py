"""Courses given under treatment plans, written through the services: the patient is
cleared for the protocol (tests/clinical.py), a prescriber plans the course (its sessions
are booked from next week on), and the plan's sessions are then recorded as given at the
course's days (day 0 is T0, as in conftest), with scores in between."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from ketacare.dosing import services as dosing
from ketacare.dosing.models import TreatmentPlan
from ketacare.patients.models import Patient
from tests.clinical import clear_for_protocol
from tests.factories import clinic_today
from tests.measures.conftest import Team
from tests.sessions.build import enter_from_paper

from .conftest import T0, at, record

PLANS = {
    "esketamine_trd": ("label_then_every_2_weeks", Decimal("56")),
    "iv_ketamine": ("2_per_week", Decimal("0.5")),
}


def make_plan(
    team: Team, patient: Patient, protocol: str = "esketamine_trd", *, by: str = "prescriber"
) -> TreatmentPlan:
    access = getattr(team, by)
    clear_for_protocol(access, patient.pk, protocol)
    schedule, dose = PLANS[protocol]
    today = clinic_today(patient.clinic)
    return dosing.plan_create(
        access=access,
        patient_id=patient.pk,
        given=dosing.PlanInput(
            indication="major_depression",
            protocol_code=protocol,
            schedule=schedule,
            start_date=today + dt.timedelta(days=7 - today.weekday()),
            start_dose=dose,
        ),
    ).plan


def write_plan_course(
    team: Team,
    patient: Patient,
    plan: TreatmentPlan,
    session_days: Iterable[float],
    scores: Iterable[Sequence[float]],
    *,
    instrument: str = "phq9",
    origin: dt.datetime = T0,
) -> None:
    """The plan's first sessions recorded as given at 09:00 on the given days, and the
    scores as (day, total[, hour]) at 10:00 by default, in time order."""
    booked = list(plan.sessions.order_by("plan_number"))
    events: list[tuple[dt.datetime, str, int]] = [
        (at(d, origin=origin), "session", n) for n, d in enumerate(session_days)
    ]
    for entry in scores:
        hour = entry[2] if len(entry) > 2 else 10
        events.append((at(entry[0], hour, origin), "score", int(entry[1])))
    for when, kind, value in sorted(events):
        if kind == "session":
            # Given on paper at the course's day and entered with what the rules ask.
            dose = "35" if plan.protocol_code == "iv_ketamine" else "56"
            enter_from_paper(team.nurse, booked[value], when, dose=dose)
        else:
            record(team.nurse, patient, when, value, instrument=instrument)
