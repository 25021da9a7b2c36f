"""A clinic's team and a weighed patient, for the dosing service, API and web tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.patients.models import Patient
from tests.clinical import clear_for_protocol
from tests.factories import BodyMeasurementFactory, PatientFactory, clinic_today

PLANNED_PROTOCOLS = ("iv_ketamine", "esketamine_trd", "esketamine_mdsi")


@dataclass(frozen=True)
class Team:
    clinic: Clinic
    admin: ClinicAccess
    prescriber: ClinicAccess
    second_prescriber: ClinicAccess
    nurse: ClinicAccess
    therapist: ClinicAccess
    front_desk: ClinicAccess
    patient: Patient  # 70 kg, 170 cm, male, weighed today


@pytest.fixture
def team(clinic: Clinic, make_access: Callable[..., ClinicAccess]) -> Team:
    patient = PatientFactory.create(clinic=clinic, sex_at_birth="male")
    BodyMeasurementFactory.create(
        patient=patient,
        measured_on=clinic_today(clinic),
        weight_kg=Decimal("70.0"),
        height_cm=Decimal("170.0"),
    )
    prescriber = make_access(Role.PRESCRIBER, clinic)
    # Plans need a screening that allows them (ketacare.dosing.services.check_latest_screening).
    clear_for_protocol(prescriber, patient.pk, *PLANNED_PROTOCOLS)
    return Team(
        clinic=clinic,
        admin=make_access(Role.CLINIC_ADMIN, clinic),
        prescriber=prescriber,
        second_prescriber=make_access(Role.PRESCRIBER, clinic),
        nurse=make_access(Role.NURSE, clinic),
        therapist=make_access(Role.THERAPIST, clinic),
        front_desk=make_access(Role.FRONT_DESK, clinic),
        patient=patient,
    )


def next_monday(clinic: Clinic) -> dt.date:
    today = clinic_today(clinic)
    return today + dt.timedelta(days=7 - today.weekday())
