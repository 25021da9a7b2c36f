"""A clinic with a prescriber, a nurse, and a patient whose history makes them
treatment-resistant. Everything is written through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.eligibility import services
from ketacare.eligibility.models import AntidepressantTrial, Episode
from ketacare.patients import services as patients
from ketacare.patients.models import Patient
from tests.api.world import member
from tests.clinical import FAILED_TRIALS


@dataclass(frozen=True)
class Team:
    clinic: Clinic
    prescriber: ClinicAccess
    nurse: ClinicAccess
    patient: Patient


def add_history(access: ClinicAccess, patient: Patient) -> None:
    services.history_add(
        access=access,
        patient_id=patient.pk,
        model=Episode,
        data={
            "start_date": dt.date(2024, 1, 10),
            "severity": "severe",
            "psychotic_features": False,
            "indication": "major_depression",
        },
    )
    for data in FAILED_TRIALS:
        services.history_add(
            access=access, patient_id=patient.pk, model=AntidepressantTrial, data=data
        )


@pytest.fixture
def team(clinic: Clinic) -> Team:
    prescriber = member(clinic, Role.PRESCRIBER)
    nurse = member(clinic, Role.NURSE)
    patient = patients.patient_create(
        access=prescriber,
        data={
            "mrn": "E-1",
            "legal_given_name": "Erin",
            "legal_family_name": "Evans",
            "date_of_birth": dt.date(1985, 4, 2),
            "sex_at_birth": "female",
        },
    )
    add_history(prescriber, patient)
    return Team(clinic, prescriber, nurse, patient)
