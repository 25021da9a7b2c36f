"""The trail cannot drift from the data: written in the change's transaction, append-only,
and any rewrite of a stored row is found by audit_verify."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit import chain
from ketacare.audit import head as audit_head
from ketacare.audit import services as audit_services
from ketacare.audit.models import AuditChainHead, AuditEvent
from ketacare.audit.selectors import audit_chain_verify
from ketacare.patients import services
from ketacare.patients.models import Allergy, Patient
from tests.audit.conftest import PATIENT_DATA, run_verify, seed_trail

Register = Callable[..., Patient]


class Boom(Exception):
    pass


def _skip_on_postgresql() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL's trigger refuses the raw UPDATE/DELETE this test needs")


# --- written in the transaction of the change -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_raises(clinic: Clinic) -> None:
    assert not connection.in_atomic_block

    with pytest.raises(RuntimeError, match="inside the transaction of the change"):
        audit_services.audit_record(actor=None, clinic=clinic, action="view", object_type="patient")

    assert not AuditEvent.objects.exists()
    assert not AuditChainHead.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_audit_row_rolls_back_change_and_event(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    register: Register,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    access = make_access(Role.NURSE, clinic)
    real = audit_services.audit_record
    written: list[AuditEvent] = []

    def record_then_fail(**kwargs: Any) -> AuditEvent:
        event = real(**kwargs)
        written.append(event)
        assert AuditEvent.objects.filter(pk=event.pk).exists()  # really written
        raise Boom

    monkeypatch.setattr(audit_services, "audit_record", record_then_fail)
    with pytest.raises(Boom):
        register(access)

    assert len(written) == 1
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not AuditChainHead.objects.filter(clinic=clinic, sequence__gt=0).exists()

    monkeypatch.undo()
    register(access)
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [1]
    assert audit_chain_verify(clinic=clinic).broken is None


@pytest.mark.django_db(transaction=True)
def test_a_failure_in_the_second_of_two_events_keeps_neither(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    register: Register,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Adding an allergy to a "no known allergies" patient writes two events: the
    # patient's flag change, then the allergy. Fail the second after it is written.
    access = make_access(Role.NURSE, clinic)
    patient = register(access, no_known_allergies=True)
    real = audit_services.audit_record
    calls: list[str] = []

    def fail_on_second(**kwargs: Any) -> AuditEvent:
        event = real(**kwargs)
        calls.append(kwargs["object_type"])
        if len(calls) == 2:
            raise Boom
        return event

    monkeypatch.setattr(audit_services, "audit_record", fail_on_second)
    with pytest.raises(Boom):
        services.record_add(
            access=access, patient_id=patient.pk, model=Allergy, data={"substance": "Penicillin"}
        )

    assert calls == ["patient", "allergy"]
    patient.refresh_from_db()
    assert patient.no_known_allergies is True
    assert not Allergy.objects.exists()
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [1]
    assert AuditChainHead.objects.get(clinic=clinic).sequence == 1
    assert audit_chain_verify(clinic=clinic).broken is None


@pytest.mark.django_db(transaction=True)
def test_a_failure_moving_the_chain_head_keeps_neither(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    register: Register,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    access = make_access(Role.NURSE, clinic)
    patient = register(access)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise Boom

    monkeypatch.setattr(audit_head, "advance", refuse)
    with pytest.raises(Boom):
        services.patient_update(
            access=access, patient_id=patient.pk, data={"legal_family_name": "Leigh"}
        )
    monkeypatch.undo()

    patient.refresh_from_db()
    assert patient.legal_family_name == "Lee"
    assert AuditEvent.objects.count() == 1
    assert audit_chain_verify(clinic=clinic).broken is None


# --- append-only ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_an_existing_event_raises(
    make_access: Callable[..., ClinicAccess], clinic: Clinic, register: Register
) -> None:
    register(make_access(Role.NURSE, clinic))
    event = AuditEvent.objects.get()
    event.changes = {"mrn": [None, "FORGED"]}

    with pytest.raises(RuntimeError, match="append-only"):
        event.save()

    assert AuditEvent.objects.get().changes["mrn"] == [None, PATIENT_DATA["mrn"]]


@pytest.mark.django_db
def test_deleting_an_event_raises(
    make_access: Callable[..., ClinicAccess], clinic: Clinic, register: Register
) -> None:
    register(make_access(Role.NURSE, clinic))
    event = AuditEvent.objects.get()

    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_postgresql_refuses_raw_update_and_delete_of_audit_rows(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    register: Register,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    register(make_access(Role.NURSE, clinic))
    event = AuditEvent.objects.get()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["view", event.pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="view")

    assert AuditEvent.objects.get(pk=event.pk).action == "create"
    assert audit_chain_verify(clinic=clinic).broken is None


# --- tampering is detected ------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_verify_passes_on_an_untouched_trail(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    other_clinic: Clinic,
    register: Register,
) -> None:
    seed_trail(make_access(Role.NURSE, clinic), register)
    seed_trail(make_access(Role.NURSE, other_clinic), register)

    out, err, error = run_verify()

    assert error is None, err
    assert "OK      clinic clinic-a: 5 events" in out
    assert "OK      clinic clinic-b: 5 events" in out
    assert "Audit trail intact: 10 events verified." in out


@pytest.mark.django_db
def test_audit_verify_names_the_row_whose_changes_were_rewritten(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    other_clinic: Clinic,
    register: Register,
) -> None:
    _skip_on_postgresql()
    seed_trail(make_access(Role.NURSE, clinic), register)
    seed_trail(make_access(Role.NURSE, other_clinic), register)
    target = AuditEvent.objects.get(clinic=clinic, sequence=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET changes = %s WHERE id = %s",
            [json.dumps({"phone": ["", "07700 900000"]}), target.pk],
        )

    out, err, error = run_verify()

    assert error is not None
    assert "Audit chain broken in 1 place(s)." in str(error)
    assert (
        f"BROKEN  clinic clinic-a: event id={target.pk} (sequence 2): "
        "stored hash does not match the event's contents"
    ) in err
    assert "OK      clinic clinic-b: 5 events" in out
    assert "Audit trail intact" not in out


@pytest.mark.django_db
def test_audit_verify_finds_a_rewritten_row_even_with_its_hash_recomputed(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    register: Register,
) -> None:
    _skip_on_postgresql()
    seed_trail(make_access(Role.NURSE, clinic), register)
    target = AuditEvent.objects.get(clinic=clinic, sequence=3)
    forged = AuditEvent.objects.get(pk=target.pk)
    forged.actor_username = "someone.else"
    new_hash = chain.event_hash(forged.prev_hash, forged.chain_payload())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_username = %s, hash = %s WHERE id = %s",
            ["someone.else", new_hash, target.pk],
        )
    following = AuditEvent.objects.get(clinic=clinic, sequence=4)

    _out, err, error = run_verify("--clinic", "clinic-a")

    # The anchor names the rewritten row itself; the chain alone finds the next link.
    assert error is not None
    assert (
        f"event id={target.pk} (sequence 3): hash differs from the anchored one: the chain "
        "was rewritten from here on"
    ) in err
    assert audit_chain_verify(clinic=clinic).broken == chain.BrokenLink(
        following.pk, 4, "previous-hash link does not match the event before it"
    )


@pytest.mark.django_db
def test_audit_verify_detects_the_last_row_deleted_through_the_chain_head(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    register: Register,
) -> None:
    _skip_on_postgresql()
    seed_trail(make_access(Role.NURSE, clinic), register)
    last = AuditEvent.objects.filter(clinic=clinic).order_by("-sequence").first()
    assert last is not None and last.sequence == 5
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])

    _out, err, error = run_verify()

    assert error is not None
    assert (
        "BROKEN  clinic clinic-a: chain head (sequence 5): sequence 5 is missing: "
        "an anchor seals 5 events, 4 remain"
    ) in err


@pytest.mark.django_db
def test_audit_verify_detects_a_row_deleted_from_the_middle(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    register: Register,
) -> None:
    _skip_on_postgresql()
    seed_trail(make_access(Role.NURSE, clinic), register)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE clinic_id = %s AND sequence = 2", [clinic.pk]
        )
    third = AuditEvent.objects.get(clinic=clinic, sequence=3)

    _out, err, error = run_verify()

    assert error is not None
    assert f"event id={third.pk} (sequence 3): sequence 2 is missing (found 3)" in err


@pytest.mark.django_db
def test_audit_verify_rejects_an_unknown_clinic(db: None) -> None:
    _out, _err, error = run_verify("--clinic", "nowhere")
    assert error is not None
    assert "No clinic with slug 'nowhere'." in str(error)
