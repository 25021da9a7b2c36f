from __future__ import annotations

from collections.abc import Callable

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.patients.models import Patient
from tests.clock import fix_clock
from tests.factories import PatientFactory
from tests.sessions.build import BEFORE_SESSIONS


@pytest.fixture(autouse=True)
def _clock_before_the_sessions() -> None:
    fix_clock(BEFORE_SESSIONS)


@pytest.fixture
def nurse(clinic: Clinic, make_access: Callable[..., ClinicAccess]) -> ClinicAccess:
    return make_access(Role.NURSE, clinic)


@pytest.fixture
def prescriber(clinic: Clinic, make_access: Callable[..., ClinicAccess]) -> ClinicAccess:
    access: ClinicAccess = make_access(Role.PRESCRIBER, clinic)
    access.user.email = "prescriber@clinic.example.org"  # the REMS form asks for it
    access.user.save(update_fields=["email"])
    return access


@pytest.fixture
def patient(clinic: Clinic, nurse: ClinicAccess) -> Patient:
    return PatientFactory.create(clinic=clinic, created_by=nurse.user, sex_at_birth="female")
