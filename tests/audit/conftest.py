from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.audit.models import AuditEvent
from ketacare.patients import services
from ketacare.patients.models import Allergy, Patient

PATIENT_DATA: dict[str, Any] = {
    "mrn": "A-100",
    "legal_given_name": "Ann",
    "legal_family_name": "Lee",
    "date_of_birth": dt.date(1980, 1, 2),
    "sex_at_birth": "female",
}


class AuditLog:
    """What one clinic's trail gained since a mark."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.mark()

    def mark(self) -> None:
        self.since = self._last()

    def _last(self) -> int:
        last = (
            AuditEvent.objects.filter(clinic=self.clinic)
            .order_by("-sequence")
            .values_list("sequence", flat=True)
            .first()
        )
        return last or 0

    def new(self) -> list[AuditEvent]:
        return list(
            AuditEvent.objects.filter(clinic=self.clinic, sequence__gt=self.since).order_by(
                "sequence"
            )
        )

    def single(self) -> AuditEvent:
        events = self.new()
        assert len(events) == 1, [(e.action, e.object_type, e.changes) for e in events]
        self.mark()
        return events[0]


@pytest.fixture
def audit_log() -> Callable[[Clinic], AuditLog]:
    return AuditLog


@pytest.fixture
def register() -> Callable[..., Patient]:
    def make(access: ClinicAccess, **data: Any) -> Patient:
        return services.patient_create(
            access=access, data=PATIENT_DATA | data, confirm_not_duplicate=True
        )

    return make


def run_verify(*args: str) -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", "--no-progress", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def seed_trail(access: ClinicAccess, register: Callable[..., Patient]) -> Patient:
    """Five events: create, update, the allergy clearing 'no known allergies', add, view;
    each sealed in the anchor file as its transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        patient = register(access, no_known_allergies=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.patient_update(
            access=access, patient_id=patient.pk, data={"phone": "01632 960003"}
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.record_add(
            access=access, patient_id=patient.pk, model=Allergy, data={"substance": "Latex"}
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.patient_view(access=access, patient_id=patient.pk)
    return patient
