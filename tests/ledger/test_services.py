from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common import clock
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.ledger import services
from ketacare.ledger.models import Balance, Investigation, LedgerEntry, Location, Product
from ketacare.ledger.selectors import ledger_chain_verify
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.ledger.conftest import SPRAVATO_56, receive, session_for

pytestmark = pytest.mark.django_db


def balance(lot_id: Any, location: Location) -> Decimal:
    return Balance.objects.get(lot_id=lot_id, location=location).quantity_mg


def _waste(
    nurse: ClinicAccess,
    session: TreatmentSession,
    witness: ClinicAccess | None,
    qty: str = "465",
    **kw: Any,
) -> LedgerEntry:
    return services.waste_record(
        access=nurse,
        session_id=session.pk,
        quantity_mg=qty,
        witness_username=witness.user.username if witness else "",
        witness_password=kw.pop("password", "pw"),
        **kw,
    )


def test_receipt_withdrawal_waste_administration_balance_the_session(
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    receipt = receive(compliance, vial, safe, containers=2)
    assert receipt.quantity_mg == 1000 and receipt.containers == 2
    session = session_for(nurse, given="35")
    services.withdrawal_record(
        access=nurse,
        session_id=session.pk,
        lot_id=receipt.lot_id,
        location_id=safe.pk,
        quantity_mg="500",
    )
    assert balance(receipt.lot_id, safe) == 500
    assert not services.session_record(session).balanced
    waste = _waste(nurse, session, witness)
    assert waste.witness == witness.user and waste.witness_method == "password"
    services.administration_record(access=nurse, session_id=session.pk)
    record = services.session_record(session)
    assert record.balanced, record.reasons
    assert balance(receipt.lot_id, safe) == 500  # waste and administration do not move stock
    assert ledger_chain_verify(clinic=compliance.clinic).broken is None
    assert AuditEvent.objects.filter(object_type="ledgerentry").count() == 4


def test_withdrawal_refusals_name_the_field(
    compliance: ClinicAccess, nurse: ClinicAccess, vial: Product, safe: Location
) -> None:
    receipt = receive(compliance, vial, safe, containers=1)
    session = session_for(nurse)
    args: dict[str, Any] = {
        "access": nurse,
        "session_id": session.pk,
        "lot_id": receipt.lot_id,
        "location_id": safe.pk,
    }
    with pytest.raises(ValidationFailed) as over:
        services.withdrawal_record(**args, quantity_mg="600")
    assert "at most 500 mg" in over.value.errors["quantity_mg"][0]
    services.withdrawal_record(**args, quantity_mg="500")
    other = session_for(nurse)
    with pytest.raises(ValidationFailed) as empty:
        services.withdrawal_record(**{**args, "session_id": other.pk}, quantity_mg="500")
    assert "Only 0 mg is in stock" in empty.value.errors["quantity_mg"][0]
    assert balance(receipt.lot_id, safe) == 0


def test_an_expired_lot_cannot_be_drawn(
    compliance: ClinicAccess, nurse: ClinicAccess, vial: Product, safe: Location
) -> None:
    receipt = receive(compliance, vial, safe, expiry=clock.now().date() - dt.timedelta(days=1))
    with pytest.raises(ValidationFailed) as refused:
        services.withdrawal_record(
            access=nurse,
            session_id=session_for(nurse).pk,
            lot_id=receipt.lot_id,
            location_id=safe.pk,
            quantity_mg="500",
        )
    assert "expired" in refused.value.errors["lot_id"][0]


def test_waste_needs_a_different_licensed_authenticated_witness(
    clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    receipt = receive(compliance, vial, safe)
    session = session_for(nurse, given="35")
    services.withdrawal_record(
        access=nurse,
        session_id=session.pk,
        lot_id=receipt.lot_id,
        location_id=safe.pk,
        quantity_mg="500",
    )
    cases = {
        "none": (None, "must witness"),
        "self": (nurse, "different person"),
        "desk": (make_access(Role.FRONT_DESK, clinic), "licensed"),
    }
    for who, expected in cases.values():
        with pytest.raises(ValidationFailed) as refused:
            _waste(nurse, session, who)
        assert expected in refused.value.errors["witness_username"][0]
    with pytest.raises(ValidationFailed) as wrong_pw:
        _waste(nurse, session, witness, password="wrong")
    assert "password" in wrong_pw.value.errors["witness_username"][0]
    with pytest.raises(ValidationFailed) as too_much:
        _waste(nurse, session, witness, qty="470")
    assert "Only 465 mg" in too_much.value.errors["quantity_mg"][0]
    assert not LedgerEntry.objects.filter(kind="waste").exists()


def test_roles_and_tenancy(
    clinic: Clinic,
    other_clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    for role in (Role.FRONT_DESK, Role.RESEARCHER, Role.NURSE, Role.THERAPIST):
        with pytest.raises(PermissionDenied):
            receive(make_access(role, clinic), vial, safe)
    for role in (Role.FRONT_DESK, Role.RESEARCHER, Role.COMPLIANCE):
        with pytest.raises(PermissionDenied):
            services.withdrawal_record(
                access=make_access(role, clinic),
                session_id="x",
                lot_id="x",
                location_id="x",
                quantity_mg="1",
            )
    outsider = make_access(Role.COMPLIANCE, other_clinic)
    with pytest.raises(NotFound):
        receive(outsider, vial, safe)
    with pytest.raises(NotFound):
        services.entry_reverse(
            access=outsider, entry_id=receive(compliance, vial, safe).pk, reason="x"
        )
    with pytest.raises(NotFound):
        services.withdrawal_record(
            access=nurse, session_id="not-a-uuid", lot_id="x", location_id="x", quantity_mg="1"
        )


def test_entries_are_append_only_and_reversed_not_edited(
    compliance: ClinicAccess, vial: Product, safe: Location
) -> None:
    entry = receive(compliance, vial, safe)
    entry.reason = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    with pytest.raises(ValidationFailed) as no_reason:
        services.entry_reverse(access=compliance, entry_id=entry.pk, reason=" ")
    assert "reason" in no_reason.value.errors
    reversal = services.entry_reverse(
        access=compliance, entry_id=entry.pk, reason="Wrong lot keyed"
    )
    assert reversal.reverses == entry and reversal.stock_delta_mg == -1000
    assert balance(entry.lot_id, safe) == 0
    with pytest.raises(ValidationFailed, match="already reversed"):
        services.entry_reverse(access=compliance, entry_id=entry.pk, reason="again")


def test_transfer_disposals_and_devices(
    compliance: ClinicAccess, witness: ClinicAccess, nurse: ClinicAccess, safe: Location
) -> None:
    cart = services.location_create(access=compliance, name="Cart 1", kind="cart")
    kit = services.product_create(access=compliance, data=SPRAVATO_56)
    receipt = receive(compliance, kit, safe, containers=3, lot_number="S1")
    assert receipt.quantity_mg == 168
    with pytest.raises(ValidationFailed, match="counted whole"):
        services.transfer_record(
            access=compliance,
            lot_id=receipt.lot_id,
            from_location_id=safe.pk,
            to_location_id=cart.pk,
            quantity_mg="30",
        )
    services.transfer_record(
        access=compliance,
        lot_id=receipt.lot_id,
        from_location_id=safe.pk,
        to_location_id=cart.pk,
        quantity_mg="56",
    )
    assert (balance(receipt.lot_id, safe), balance(receipt.lot_id, cart)) == (112, 56)
    loss_args: dict[str, Any] = {
        "access": compliance,
        "lot_id": receipt.lot_id,
        "location_id": safe.pk,
        "quantity_mg": "28",
    }
    with pytest.raises(ValidationFailed) as loss:
        services.disposal_record(kind="loss", **loss_args)
    assert set(loss.value.errors) == {"discovered_on", "reason"}
    services.disposal_record(
        kind="loss", discovered_on=clock.now().date(), reason="Device missing from kit", **loss_args
    )
    with pytest.raises(ValidationFailed) as destroy:
        services.disposal_record(
            kind="destruction", method="Rx Destroyer", witness_id=witness.user.pk, **loss_args
        )
    assert "witness_id" in destroy.value.errors
    services.disposal_record(
        kind="destruction",
        method="Rx Destroyer",
        witness_id=witness.user.pk,
        second_witness_id=nurse.user.pk,
        **loss_args,
    )
    assert balance(receipt.lot_id, safe) == 56


def test_blind_count_opens_an_investigation_and_a_significant_loss_prompts_form_106(
    compliance: ClinicAccess,
    clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    vial: Product,
    safe: Location,
) -> None:
    receipt = receive(compliance, vial, safe, containers=2)
    second = make_access(Role.CLINIC_ADMIN, clinic)
    with pytest.raises(ValidationFailed) as missing:
        services.count_record(
            access=compliance,
            location_id=safe.pk,
            kind="daily",
            counted={},
            witness_username=second.user.username,
            witness_password="pw",
        )
    assert f"counted.{receipt.lot_id}" in missing.value.errors
    count = services.count_record(
        access=compliance,
        location_id=safe.pk,
        kind="daily",
        counted={receipt.lot_id: "400"},
        witness_username=second.user.username,
        witness_password="pw",
    )
    line = count.lines.get()
    assert (line.expected_mg, line.discrepancy_mg) == (1000, -600)
    investigation = Investigation.objects.get()
    assert investigation.significant_loss and investigation.form_106["ndc"] == "0409-2051-05"
    assert investigation.notice_due_on is not None and investigation.owner == compliance.user
    with pytest.raises(ValidationFailed, match="second person"):
        services.investigation_close(
            access=compliance, investigation_id=investigation.pk, resolution="found"
        )
    services.investigation_close(
        access=second,
        investigation_id=investigation.pk,
        resolution="Vials broken, see report",
        adjust=True,
    )
    assert balance(receipt.lot_id, safe) == 400
    assert LedgerEntry.objects.filter(kind="count_adjustment", quantity_mg=-600).exists()


def test_signing_is_refused_while_the_record_is_unbalanced(
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    receipt = receive(compliance, vial, safe)
    session = session_for(nurse, given="35", status="discharged")
    blockers = services.sign_blockers(session)
    assert blockers and "No withdrawal" in " ".join(blockers)
    services.withdrawal_record(
        access=nurse,
        session_id=session.pk,
        lot_id=receipt.lot_id,
        location_id=safe.pk,
        quantity_mg="500",
    )
    assert "neither given nor wasted" in " ".join(services.sign_blockers(session))
    _waste(nurse, session, witness)
    services.administration_record(access=nurse, session_id=session.pk)
    assert services.sign_blockers(session) == ()
    services.settings_save(access=compliance, data={"require_balanced_to_sign": False})
    assert services.sign_blockers(session_for(nurse, given="35", status="discharged")) == ()


def test_a_clinic_without_ledger_products_signs_as_before(nurse: ClinicAccess) -> None:
    assert services.sign_blockers(session_for(nurse, given="35", status="discharged")) == ()


@contextmanager
def tampering() -> Iterator[Any]:
    """Raw SQL as the tables' owner: on PostgreSQL the owner can switch the append-only
    trigger off (as tests/audit/test_anchors.py does); the test's transaction undoes it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE ledger_ledgerentry DISABLE TRIGGER USER")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE ledger_ledgerentry ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_ledger_verify_finds_changed_deleted_and_reordered_entries(
    compliance: ClinicAccess, vial: Product, safe: Location
) -> None:
    entries = [receive(compliance, vial, safe, lot_number=f"L{i}") for i in range(3)]
    call_command("ledger_verify", stdout=StringIO())
    update = "UPDATE ledger_ledgerentry SET {} WHERE id = %s"
    with tampering() as cursor:
        cursor.execute(update.format("quantity_mg = 1"), [entries[1].pk])
    with pytest.raises(CommandError):
        call_command("ledger_verify", stdout=StringIO(), stderr=StringIO())
    changed = ledger_chain_verify(clinic=compliance.clinic).broken
    assert changed is not None and changed.sequence == 2 and "contents" in changed.reason
    with tampering() as cursor:
        cursor.execute(update.format("quantity_mg = 1000"), [entries[1].pk])
        cursor.execute(update.format("sequence = 99"), [entries[0].pk])
        cursor.execute(update.format("sequence = 1"), [entries[2].pk])
        cursor.execute(update.format("sequence = 3"), [entries[0].pk])
    reordered = ledger_chain_verify(clinic=compliance.clinic).broken
    assert reordered is not None and "previous-hash" in reordered.reason
    with tampering() as cursor:
        cursor.execute(update.format("sequence = 99"), [entries[2].pk])
        cursor.execute(update.format("sequence = 1"), [entries[0].pk])
        cursor.execute(update.format("sequence = 3"), [entries[2].pk])
        cursor.execute("DELETE FROM ledger_ledgerentry WHERE id = %s", [entries[1].pk])
    deleted = ledger_chain_verify(clinic=compliance.clinic).broken
    assert deleted is not None and "sequence 2 is missing" in deleted.reason


def test_postgresql_refuses_update_and_delete(
    compliance: ClinicAccess, vial: Product, safe: Location
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    from django.db import DatabaseError, transaction

    entry = receive(compliance, vial, safe)
    for sql in (
        "UPDATE ledger_ledgerentry SET reason = 'x' WHERE id = %s",
        "DELETE FROM ledger_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])


def test_a_witness_with_an_authenticator_signs_with_a_one_time_code(
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.signin.conftest import current_code

    device = TOTPDevice.objects.create(user=witness.user, name="Authenticator app", confirmed=True)
    receipt = receive(compliance, vial, safe)
    session = session_for(nurse, given="35")
    services.withdrawal_record(
        access=nurse,
        session_id=session.pk,
        lot_id=receipt.lot_id,
        location_id=safe.pk,
        quantity_mg="500",
    )
    args: dict[str, Any] = {
        "access": nurse,
        "session_id": session.pk,
        "quantity_mg": "465",
        "witness_username": witness.user.username,
    }
    with pytest.raises(ValidationFailed, match="one-time code was not accepted"):
        services.waste_record(**args, witness_code="000000")
    # The wrong code stays counted (django-otp throttles the device for a second, and
    # django-axes counts a failure): the refused waste does not roll it back.
    fix_clock(clock.now() + dt.timedelta(seconds=2))
    waste = services.waste_record(**args, witness_code=current_code(device))
    assert waste.witness_method == "otp"
