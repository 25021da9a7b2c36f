from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.patients import services
from ketacare.patients.models import Patient

ANN: dict[str, Any] = {
    "mrn": "A-1",
    "legal_given_name": "Ann",
    "legal_family_name": "Lee",
    "date_of_birth": dt.date(1980, 1, 2),
    "sex_at_birth": "female",
    "phone": "+1 503 555 0117",
}
# The same person typed again at the desk: another MRN, accents and case differ.
ANN_AGAIN: dict[str, Any] = ANN | {"mrn": "A-2", "legal_given_name": "ANN ", "phone": ""}


@pytest.fixture
def prescriber(make_access: Callable[..., ClinicAccess], clinic: Clinic) -> ClinicAccess:
    return make_access(Role.PRESCRIBER, clinic)


@pytest.fixture
def desk(make_access: Callable[..., ClinicAccess], clinic: Clinic) -> ClinicAccess:
    return make_access(Role.FRONT_DESK, clinic)


@pytest.fixture
def admin(make_access: Callable[..., ClinicAccess], clinic: Clinic) -> ClinicAccess:
    return make_access(Role.CLINIC_ADMIN, clinic)


@pytest.fixture
def ann(prescriber: ClinicAccess) -> Patient:
    return services.patient_create(access=prescriber, data=ANN)


@pytest.fixture
def ann_again(prescriber: ClinicAccess, ann: Patient) -> Patient:
    return services.patient_create(access=prescriber, data=ANN_AGAIN, confirm_not_duplicate=True)
