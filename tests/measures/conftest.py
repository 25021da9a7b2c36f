"""A clinic's care team and a patient, for the measurement-based care tests.

Everything clinical is written through the services. Time is passed in as `now`;
nothing sleeps. Email stays in django.core.mail.outbox; SMS goes to a file per test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from pytest_django.fixtures import Settings

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.patients import services as patients
from ketacare.patients.models import Patient
from tests.factories import UserFactory

# A Monday in winter: Europe/London is on GMT (UTC+0) until 30 March 2025.
T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)

PHQ9_NONE = [0, 0, 0, 0, 0, 0, 0, 0, 0, None]  # total 0, difficulty not asked
PHQ9_MODERATE = [2, 2, 1, 1, 1, 1, 1, 1, 0, 1]  # total 10, no flag
PHQ9_ITEM9 = [2, 2, 1, 1, 1, 1, 1, 1, 1, 2]  # total 11, item 9 = 1: suicidal ideation
GAD7_MILD = [1, 1, 1, 1, 1, 0, 0]  # total 5
MADRS_MODERATE = [3, 3, 3, 3, 3, 2, 3, 3, 2, 1]  # total 26, item 10 = 1: below threshold 2


@dataclass(frozen=True)
class Team:
    clinic: Clinic
    admin: ClinicAccess
    prescriber: ClinicAccess  # on call
    prescriber_off_call: ClinicAccess
    nurse: ClinicAccess
    therapist: ClinicAccess
    front_desk: ClinicAccess
    compliance: ClinicAccess
    researcher: ClinicAccess


def add_member(clinic: Clinic, role: Role, name: str, *, on_call: bool = False) -> ClinicAccess:
    user = UserFactory.create(
        username=f"{name}.{clinic.slug}",
        email=f"{name}@{clinic.slug}.example.org",
        mobile_phone=f"+44 7700 900{len(name):03d}",
    )
    Membership.objects.create(user=user, clinic=clinic, role=role.value, is_on_call=on_call)
    return ClinicAccess(user=user, clinic=clinic, role=role)


def make_team(clinic: Clinic) -> Team:
    return Team(
        clinic=clinic,
        admin=add_member(clinic, Role.CLINIC_ADMIN, "admin"),
        prescriber=add_member(clinic, Role.PRESCRIBER, "oncall", on_call=True),
        prescriber_off_call=add_member(clinic, Role.PRESCRIBER, "offcall"),
        nurse=add_member(clinic, Role.NURSE, "nurse"),
        therapist=add_member(clinic, Role.THERAPIST, "therapist"),
        front_desk=add_member(clinic, Role.FRONT_DESK, "desk"),
        compliance=add_member(clinic, Role.COMPLIANCE, "compliance"),
        researcher=add_member(clinic, Role.RESEARCHER, "researcher"),
    )


@pytest.fixture
def team(clinic: Clinic) -> Team:
    """Clinic A's staff, one of each role (the prescriber is on call)."""
    return make_team(clinic)


def register(access: ClinicAccess, mrn: str = "M-1001", **contact: Any) -> Patient:
    data = {
        "mrn": mrn,
        "legal_given_name": "Maya",
        "legal_family_name": "Moreau",
        "date_of_birth": dt.date(1986, 4, 12),
        "sex_at_birth": "female",
        "email": "maya.moreau@example.net",
        "phone": "+44 7700 900555",
    }
    return patients.patient_create(
        access=access, data={**data, **contact}, confirm_not_duplicate=True
    )


@pytest.fixture
def patient(team: Team) -> Patient:
    """A patient of clinic A with an email address and a mobile number."""
    return register(team.nurse)


@pytest.fixture
def other_team(other_clinic: Clinic) -> Team:
    return make_team(other_clinic)


@pytest.fixture(autouse=True)
def sms_file(settings: Settings, tmp_path: Path) -> Path:
    path = tmp_path / "sms.jsonl"
    settings.KETACARE_SMS_FILE_PATH = str(path)
    return path


@pytest.fixture
def sms_sent(sms_file: Path) -> Callable[[], list[dict[str, str]]]:
    """The SMS messages the file backend has delivered so far in this test."""

    def read() -> list[dict[str, str]]:
        if not sms_file.exists():
            return []
        return [json.loads(line) for line in sms_file.read_text().splitlines()]

    return read


def emails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to]


def audit_trail(patient: Patient, *, after: int = 0) -> list[tuple[str, str, str]]:
    """(actor, action, object type) of the patient's audit events after `after` ones."""
    events = AuditEvent.objects.filter(patient_id=patient.pk).order_by("sequence")
    return [(e.actor_username, e.action, e.object_type) for e in events][after:]


def audit_count(patient: Patient) -> int:
    return AuditEvent.objects.filter(patient_id=patient.pk).count()
