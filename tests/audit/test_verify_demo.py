"""audit_verify on the demo data: every event the seed writes chains correctly."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ketacare.accounts.models import Clinic
from ketacare.audit.models import AuditChainHead, AuditEvent
from ketacare.demo.seed import CLINICS, seed_demo

pytestmark = pytest.mark.django_db


def test_audit_verify_passes_on_a_freshly_seeded_demo() -> None:
    assert seed_demo() is True
    total = AuditEvent.objects.count()
    assert total > 0

    out, err = StringIO(), StringIO()
    call_command("audit_verify", "--no-progress", stdout=out, stderr=err)

    output = out.getvalue()
    assert f"Audit trail intact: {total} events verified." in output
    assert "BROKEN" not in err.getvalue()
    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        events = AuditEvent.objects.filter(clinic=clinic).count()
        assert f"OK      clinic {spec.slug}: {events} events" in output
        head = AuditChainHead.objects.get(clinic=clinic)
        assert head.sequence == events


def test_seeding_twice_adds_nothing_and_still_verifies() -> None:
    seed_demo()
    total = AuditEvent.objects.count()

    assert seed_demo() is False
    assert AuditEvent.objects.count() == total
    out = StringIO()
    call_command("audit_verify", "--no-progress", "--clinic", "harbour", stdout=out)
    assert "Audit trail intact" in out.getvalue()
    assert "riverside" not in out.getvalue()
