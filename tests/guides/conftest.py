"""Guide fixtures: a clinic's team on a fixed clock, a patient with contact details, and
sessions booked directly (the lifecycle is tested in tests/sessions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession
from tests.api.world import member
from tests.clock import fix_clock
from tests.web_measures.conftest import new_patient

NOW = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)  # a Monday morning
START = NOW + dt.timedelta(hours=30)  # Tuesday 15:00


@pytest.fixture(autouse=True)
def _fixed_clock() -> None:
    fix_clock(NOW)


@dataclass(frozen=True)
class Team:
    clinic: Clinic
    admin: ClinicAccess
    nurse: ClinicAccess
    front_desk: ClinicAccess
    patient: Patient


@pytest.fixture
def team(clinic: Clinic) -> Team:
    admin = member(clinic, Role.CLINIC_ADMIN)
    return Team(
        clinic,
        admin,
        member(clinic, Role.NURSE),
        member(clinic, Role.FRONT_DESK),
        new_patient(admin),
    )


def book(
    team: Team, protocol: str = "esketamine_trd", start: dt.datetime = START
) -> TreatmentSession:
    return TreatmentSession.objects.create(
        clinic=team.clinic,
        patient=team.patient,
        scheduled_start=start,
        created_by=team.admin.user,
        protocol_code=protocol,
    )
