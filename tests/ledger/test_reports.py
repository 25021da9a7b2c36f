from __future__ import annotations

from collections.abc import Callable

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.common import clock
from ketacare.common.errors import NotFound, PermissionDenied
from ketacare.ledger import reports, services
from ketacare.ledger.models import Location, Product
from tests.ledger.conftest import receive, session_for

pytestmark = pytest.mark.django_db


def test_reports_and_the_daily_reconciliation(
    clinic: Clinic,
    other_clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    receipt = receive(compliance, vial, safe, containers=2)
    balanced = session_for(nurse, given="35", status="discharged")
    unbalanced = session_for(nurse, given="35", status="discharged")
    for session in (balanced, unbalanced):
        session.dosing_started_at = clock.now()
        session.save()
        services.withdrawal_record(
            access=nurse,
            session_id=session.pk,
            lot_id=receipt.lot_id,
            location_id=safe.pk,
            quantity_mg="500",
        )
    services.waste_record(
        access=nurse,
        session_id=balanced.pk,
        quantity_mg="465",
        witness_username=witness.user.username,
        witness_password="pw",
    )
    services.administration_record(access=nurse, session_id=balanced.pk)
    today = clinic.today()

    log = reports.report_read(compliance, "dispensing", date_from=today, date_to=today)
    kinds = [row[5] for row in log.rows]
    assert kinds == [
        "Receipt",
        "Withdrawal for a session",
        "Withdrawal for a session",
        "Waste",
        "Administration",
    ]
    assert log.rows[0][15] == "RA1234567" and log.rows[3][12]  # supplier registration, witness
    csv = reports.report_csv(log)
    assert csv.splitlines()[0].startswith("Date,Substance,Finished form")

    items = reports.reconciliation_items(compliance, day=today)
    assert {i.what.split(" (")[0] for i in items} == {
        f"Session of {unbalanced.patient.legal_given_name} {unbalanced.patient.legal_family_name}"
    }
    inventory = reports.report_read(compliance, "inventory")
    assert inventory.rows == []  # both vials drawn: nothing on hand
    running = reports.report_read(compliance, "running", lot_id=receipt.lot_id)
    assert [row[7] for row in running.rows][:3] == [1000, 500, 0]
    history = reports.report_read(compliance, "patient", patient_id=balanced.patient_id)
    assert [row[1] for row in history.rows] == [
        "Withdrawal for a session",
        "Waste",
        "Administration",
    ]

    with pytest.raises(PermissionDenied):
        reports.report_read(nurse, "inventory")
    with pytest.raises(NotFound):
        reports.report_read(
            make_access(Role.COMPLIANCE, other_clinic), "patient", patient_id=balanced.patient_id
        )
