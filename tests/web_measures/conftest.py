"""Fixtures for the measurement web pages: a clinic's care team, a patient with contact
details, and helpers to open self-report links. Everything is written through the
services, so audit trails and alerts are real."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.measures import services as measures
from ketacare.measures.models import SelfReportLink
from ketacare.patients import services as patients
from ketacare.patients.models import Patient
from tests.api.world import member


@dataclass(frozen=True)
class Team:
    clinic: Clinic
    prescriber: ClinicAccess
    nurse: ClinicAccess
    patient: Patient


def new_patient(access: ClinicAccess, mrn: str = "M-0001", family: str = "Marlow") -> Patient:
    return patients.patient_create(
        access=access,
        data={
            "mrn": mrn,
            "legal_given_name": "Mira",
            "legal_family_name": family,
            "date_of_birth": dt.date(1985, 4, 2),
            "sex_at_birth": "female",
            "email": "mira@example.org",
            "phone": "+44 7700 900123",
        },
        confirm_not_duplicate=True,  # several synthetic patients share a phone and birthday
    )


@pytest.fixture
def team(clinic: Clinic) -> Team:
    prescriber = member(clinic, Role.PRESCRIBER)
    nurse = member(clinic, Role.NURSE)
    return Team(clinic, prescriber, nurse, new_patient(prescriber))


def signed_in(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


@pytest.fixture
def make_link(team: Team) -> Callable[..., SelfReportLink]:
    def make(
        instruments: tuple[str, ...] = ("phq9", "gad7"), channel: str = "none"
    ) -> SelfReportLink:
        return measures.link_create(
            access=team.nurse,
            patient_id=team.patient.pk,
            instruments=list(instruments),
            context="between_sessions",
            channel=channel,
        )

    return make


def link_path(link: SelfReportLink) -> str:
    return f"/r/{measures.link_token(link)}/"
