"""The waste and count witness's password (or one-time code) counts like a sign-in: each
failure is recorded by django-axes, and a locked-out witness is refused, naming the field."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.audit.models import AuditEvent
from ketacare.audit.services import Action
from ketacare.common.errors import ValidationFailed
from ketacare.ledger import services
from ketacare.ledger.models import LedgerEntry, Location, Product
from ketacare.treatment.models import TreatmentSession
from tests.ledger.conftest import receive, session_for

pytestmark = pytest.mark.django_db


def _failures(username: str) -> int:
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def _drawn(
    compliance: ClinicAccess, nurse: ClinicAccess, vial: Product, safe: Location
) -> TreatmentSession:
    receipt = receive(compliance, vial, safe, containers=1)
    session = session_for(nurse, given="35")
    services.withdrawal_record(
        access=nurse,
        session_id=session.pk,
        lot_id=receipt.lot_id,
        location_id=safe.pk,
        quantity_mg="500",
    )
    return session


def test_the_51st_witness_attempt_is_refused_as_locked_out(
    clinic: Clinic,
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # KETACARE_LOGIN_FAILURE_LIMIT, 50 by default
    assert limit == 50
    session = _drawn(compliance, nurse, vial, safe)
    name = witness.user.username
    factory = RequestFactory()
    for attempt in range(limit):
        with pytest.raises(ValidationFailed) as refused:
            services.waste_record(
                access=nurse,
                session_id=session.pk,
                quantity_mg="465",
                witness_username=name,
                witness_password=f"wrong-{attempt}",
                request=factory.post("/"),
            )
        assert "witness_username" in refused.value.errors
    # Each failure survived the refused write's rollback and reached the audit trail.
    assert _failures(name) == limit
    assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).count() >= limit
    assert AuditEvent.objects.filter(action=Action.LOCKOUT).exists()

    # The 51st, on the web with the right password: refused, naming the witness field,
    # and the nurse sees the ledger page (not django-axes's lockout page).
    client = Client()
    client.force_login(nurse.user)
    url = reverse("session_ledger", args=[clinic.slug, session.patient_id, session.pk])
    response = client.post(
        url,
        {
            "action": "waste",
            "quantity_mg": "465",
            "witness_username": name,
            "witness_password": "pw",
        },
    )
    assert response.status_code == 302
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert f"Witness: The witness {name} is locked out" in text
    assert not LedgerEntry.objects.filter(session=session, kind="waste").exists()


def test_a_wrong_one_time_code_counts_and_a_right_password_still_signs(
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    session = _drawn(compliance, nurse, vial, safe)
    TOTPDevice.objects.create(user=witness.user, name="phone", confirmed=True)
    name = witness.user.username
    with pytest.raises(ValidationFailed):
        services.waste_record(
            access=nurse,
            session_id=session.pk,
            quantity_mg="465",
            witness_username=name,
            witness_code="000000x",
            request=RequestFactory().post("/"),
        )
    assert _failures(name) == 1
    entry = services.waste_record(
        access=nurse,
        session_id=session.pk,
        quantity_mg="465",
        witness_username=name,
        witness_password="pw",
        request=RequestFactory().post("/"),
    )
    assert entry.witness_method == "password"
