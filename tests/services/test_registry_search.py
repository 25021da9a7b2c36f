"""The registry finds a patient the way front desk types them (issue 19: "Rossi, Ravi",
a part of an MRN, a phone number with spaces, a date of birth in a person's format)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.patients import services
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_search


@pytest.fixture
def desk(make_access: Callable[..., ClinicAccess], clinic: Clinic) -> ClinicAccess:
    access = make_access(Role.PRESCRIBER, clinic)
    for mrn, given, family, born, phone in [
        ("RI-10023", "Ravi", "Rossi", dt.date(1980, 4, 3), "+1 503 555 0117"),
        ("RI-10024", "Rosa", "Ravel", dt.date(1975, 12, 25), "(503) 555-0199"),
        ("HA-20023", "Ann", "Ross", dt.date(1990, 1, 2), ""),
    ]:
        services.patient_create(
            access=access,
            data={
                "mrn": mrn,
                "legal_given_name": given,
                "legal_family_name": family,
                "date_of_birth": born,
                "sex_at_birth": "male",
                "phone": phone,
            },
        )
    return access


def _found(access: ClinicAccess, query: str) -> list[str]:
    return [p.mrn for p in patient_search(access=access, query=query, page_size=50)]


@pytest.mark.parametrize(
    ("typed", "mrns"),
    [
        ("Rossi, Ravi", ["RI-10023"]),  # the registry's own display format
        ("ravi rossi", ["RI-10023"]),
        ("Ross", ["HA-20023", "RI-10023"]),
        ("0023", ["HA-20023", "RI-10023"]),  # a 4-digit part of an MRN
        ("10024", ["RI-10024"]),
        ("503 555 0117", ["RI-10023"]),  # a phone number with spaces
        ("+1 (503) 555-0117", ["RI-10023"]),
        ("503-555-0199", ["RI-10024"]),
        ("03/04/1980", ["RI-10023"]),  # day or month first
        ("1980-04-03", ["RI-10023"]),
        ("25.12.1975", ["RI-10024"]),
        ("3 Apr 1980", ["RI-10023"]),
        ("Rossi 3/4/1980", ["RI-10023"]),
        ("Rossi 1/2/1990", []),
    ],
)
def test_front_desk_finds_the_patient_as_they_type(
    desk: ClinicAccess, typed: str, mrns: list[str]
) -> None:
    assert _found(desk, typed) == mrns


def test_the_phone_digits_follow_the_phone(desk: ClinicAccess) -> None:
    patient = Patient.objects.get(mrn="RI-10023")
    assert patient.phone_digits == "15035550117"
    services.patient_update(access=desk, patient_id=patient.pk, data={"phone": "07700 900123"})
    assert _found(desk, "07700 900 123") == ["RI-10023"]
    assert _found(desk, "503 555 0117") == []
