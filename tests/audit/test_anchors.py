"""The tamper experiments of issue 13: erasure and re-hashing that the chain alone cannot
see are caught by the anchors sealed outside the database, naming the first missing or
changed sequence. On PostgreSQL the experiments run as the table owner with the
append-only trigger disabled, as an owner could; the app role cannot (test_db_roles.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import TestCase

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit import anchors, chain
from ketacare.audit.models import AuditChainHead, AuditEvent
from ketacare.patients import services
from ketacare.patients.models import Patient
from tests.audit.conftest import run_verify, seed_trail

Register = Callable[..., Patient]
Access = Callable[..., ClinicAccess]


@contextmanager
def as_owner() -> Iterator[None]:
    """Raw SQL as the owner of the tables: on PostgreSQL the owner can switch the
    append-only trigger off (the test's transaction puts it back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's own inserts leave deferred foreign-key checks pending, which
            # ALTER TABLE refuses to run past: check them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        yield
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def sql(statement: str, params: list[Any] | None = None) -> None:
    with as_owner(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def two_trails(
    make_access: Access, clinic: Clinic, other_clinic: Clinic, register: Register
) -> None:
    seed_trail(make_access(Role.NURSE, clinic), register)
    seed_trail(make_access(Role.NURSE, other_clinic), register)


def test_every_committed_write_is_sealed_and_the_file_is_private(
    two_trails: None, clinic: Clinic
) -> None:
    sealed, bad = anchors.read()

    assert bad == []
    assert [a.sequence for a in sealed if a.clinic_id == clinic.pk] == [1, 2, 3, 4, 5]
    head = AuditChainHead.objects.get(clinic=clinic)
    assert anchors.latest(sealed)[0].head_hash == head.last_hash
    assert Path(settings.KETACARE_AUDIT_ANCHOR_FILE).stat().st_mode & 0o777 == 0o600


def test_a_rolled_back_write_is_not_sealed(make_access: Access, clinic: Clinic) -> None:
    access = make_access(Role.NURSE, clinic)
    with (
        TestCase.captureOnCommitCallbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.patient_create(
            access=access,
            data={
                "mrn": "R-1",
                "legal_given_name": "Roll",
                "legal_family_name": "Back",
                "date_of_birth": "1980-01-02",
                "sex_at_birth": "female",
            },
        )
        raise RuntimeError("the request failed after the write")
    assert callbacks == []
    assert anchors.read() == ([], [])


def test_deleting_the_tail_with_the_head_names_the_first_missing_sequence(
    two_trails: None, clinic: Clinic
) -> None:
    survivor = AuditEvent.objects.get(clinic=clinic, sequence=3)
    sql("DELETE FROM audit_auditevent WHERE clinic_id = %s AND sequence > 3", [clinic.pk])
    sql(
        "UPDATE audit_auditchainhead SET sequence = 3, last_hash = %s WHERE clinic_id = %s",
        [survivor.hash, clinic.pk],
    )

    out, err, error = run_verify()

    assert error is not None
    assert (
        "BROKEN  clinic clinic-a: chain head (sequence 4): sequence 4 is missing: "
        "an anchor seals 5 events, 3 remain"
    ) in err
    assert "OK      clinic clinic-b: 5 events" in out


def test_deleting_the_tail_and_the_head_row_is_found_too(two_trails: None, clinic: Clinic) -> None:
    sql("DELETE FROM audit_auditevent WHERE clinic_id = %s AND sequence > 2", [clinic.pk])
    sql("DELETE FROM audit_auditchainhead WHERE clinic_id = %s", [clinic.pk])

    _out, err, error = run_verify("--clinic", "clinic-a")

    assert error is not None
    assert "(sequence 3): sequence 3 is missing: an anchor seals 5 events, 2 remain" in err


def test_deleting_all_of_a_clinics_events_is_not_intact_with_zero_events(
    two_trails: None, clinic: Clinic
) -> None:
    sql("DELETE FROM audit_auditevent WHERE clinic_id = %s", [clinic.pk])
    sql("DELETE FROM audit_auditchainhead WHERE clinic_id = %s", [clinic.pk])

    out, err, error = run_verify()

    assert error is not None
    assert "clinic clinic-a: chain head (sequence 1): sequence 1 is missing" in err
    assert "Audit trail intact" not in out


def test_truncating_the_trail_is_found_in_every_clinic(two_trails: None) -> None:
    table = "audit_auditevent, audit_auditchainhead"
    sql(
        f"TRUNCATE {table}" if connection.vendor == "postgresql" else "DELETE FROM audit_auditevent"
    )
    sql("DELETE FROM audit_auditchainhead")

    _out, err, error = run_verify()

    assert error is not None
    for slug in ("clinic-a", "clinic-b"):
        assert (
            f"clinic {slug}: chain head (sequence 1): sequence 1 is missing: "
            "an anchor seals 5 events, 0 remain"
        ) in err


def test_rehashing_the_whole_chain_after_an_edit_names_the_edited_event(
    two_trails: None, clinic: Clinic
) -> None:
    prev = chain.GENESIS_HASH
    for event in AuditEvent.objects.filter(clinic=clinic).order_by("sequence"):
        if event.sequence == 2:
            event.changes = {"phone": ["", "07700 900000"]}
        event.prev_hash = prev
        event.hash = prev = chain.event_hash(prev, event.chain_payload())
        sql(
            "UPDATE audit_auditevent SET changes = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [json.dumps(event.changes), event.prev_hash, event.hash, event.pk],
        )
    sql("UPDATE audit_auditchainhead SET last_hash = %s WHERE clinic_id = %s", [prev, clinic.pk])
    edited = AuditEvent.objects.get(clinic=clinic, sequence=2)

    _out, err, error = run_verify()

    assert error is not None
    assert (
        f"clinic clinic-a: event id={edited.pk} (sequence 2): hash differs from the anchored "
        "one: the chain was rewritten from here on"
    ) in err


def test_a_forged_anchor_is_refused(two_trails: None, clinic: Clinic) -> None:
    forged = anchors.anchor_head(clinic.pk, 2, "f" * 64)
    line = json.dumps(forged.fields() | {"mac": anchors.seal(forged, b"a guessed key")})
    with Path(settings.KETACARE_AUDIT_ANCHOR_FILE).open("a") as file:
        file.write(line + "\n")

    _out, err, error = run_verify()

    assert error is not None
    assert (
        "BROKEN  anchor file line 11: its seal does not match (forged, or sealed with another key)"
    ) in err


def test_an_unanchored_tail_is_noted_and_audit_anchor_seals_it(
    two_trails: None, make_access: Access, clinic: Clinic, register: Register
) -> None:
    register(make_access(Role.NURSE, clinic), mrn="A-200")  # on_commit never runs here

    out, _err, error = run_verify()
    assert error is None
    assert "NOTE    clinic clinic-a: the last 1 event(s) are not anchored yet" in out

    call_command("audit_anchor", stdout=StringIO())
    out, _err, error = run_verify()
    assert error is None
    assert "NOTE" not in out


def test_a_chain_with_no_anchor_at_all_fails_until_adopted(
    make_access: Access, clinic: Clinic, register: Register
) -> None:
    register(make_access(Role.NURSE, clinic))  # as before anchoring existed

    _out, err, error = run_verify()
    assert error is not None
    assert "(sequence 1): no anchor seals this chain (run `ketacare audit-anchor`)" in err

    with pytest.raises(CommandError, match="has no anchor yet"):
        call_command("audit_anchor")
    call_command("audit_anchor", "--adopt", stdout=StringIO())
    assert run_verify()[2] is None


def test_exported_anchors_still_catch_erasure_after_the_local_file_is_cut(
    two_trails: None, clinic: Clinic, tmp_path: Path
) -> None:
    exported = tmp_path / "offsite.jsonl"
    _out, _err, error = run_verify("--export-anchors", str(exported))
    assert error is None
    assert [a.sequence for a in anchors.read(exported)[0]] == [5, 5]

    # Someone who can reach the server cuts both the trail and the local anchor file.
    sql("DELETE FROM audit_auditevent WHERE clinic_id = %s AND sequence > 3", [clinic.pk])
    sql("DELETE FROM audit_auditchainhead WHERE clinic_id = %s", [clinic.pk])
    local = Path(settings.KETACARE_AUDIT_ANCHOR_FILE)
    local.write_text("".join(local.read_text().splitlines(keepends=True)[:3]))

    _out, err, error = run_verify("--anchors", str(exported))
    assert error is not None
    assert "sequence 4 is missing: an anchor seals 5 events, 3 remain" in err
