"""The seam into signing: a real IV session, charted through the services, is signed only
once its controlled-substance record balances (ketacare.ledger.apps registers the check)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.common.errors import ValidationFailed
from ketacare.ledger import services as ledger
from ketacare.ledger.models import Location, Product
from ketacare.treatment import services
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.factories import PatientFactory
from tests.ledger.conftest import receive
from tests.sessions.build import BEFORE_SESSIONS, ids, iv_ready

pytestmark = pytest.mark.django_db


def test_an_iv_session_is_signed_only_when_its_record_balances(
    clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    compliance: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    fix_clock(BEFORE_SESSIONS)
    nurse = make_access(Role.NURSE, clinic)
    prescriber = make_access(Role.PRESCRIBER, clinic)
    prescriber.user.email = "prescriber@clinic.example.org"
    prescriber.user.save(update_fields=["email"])
    receipt = receive(compliance, vial, safe, containers=1)
    patient = PatientFactory.create(clinic=clinic, created_by=nurse.user)
    session = iv_ready(nurse, prescriber, patient)
    services.session_discharge(access=nurse, **ids(session))

    with pytest.raises(ValidationFailed) as refused:
        services.session_sign(access=prescriber, **ids(session))
    assert "Controlled-substance record: No withdrawal" in " ".join(refused.value.errors["status"])

    ledger.withdrawal_record(
        access=nurse,
        session_id=session.pk,
        lot_id=receipt.lot_id,
        location_id=safe.pk,
        quantity_mg="500",
    )
    ledger.waste_record(
        access=nurse,
        session_id=session.pk,
        quantity_mg="465",
        witness_username=prescriber.user.username,
        witness_password="pw",
    )
    with pytest.raises(ValidationFailed, match="administration is not entered"):
        services.session_sign(access=prescriber, **ids(session))
    ledger.administration_record(access=nurse, session_id=session.pk)
    signed = services.session_sign(access=prescriber, **ids(session))
    assert signed.status == TreatmentSession.Status.SIGNED
