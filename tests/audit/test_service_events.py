"""Every service writes exactly one audit event, with the right fields and changes."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest

from ketacare.accounts import services as accounts
from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Role
from ketacare.audit import chain
from ketacare.audit.models import AuditEvent
from ketacare.audit.selectors import audit_chain_verify
from ketacare.patients import services
from ketacare.patients.models import (
    Allergy,
    BodyMeasurement,
    Consent,
    Diagnosis,
    Medication,
    Patient,
    PatientRecord,
)
from tests.audit.conftest import AuditLog
from tests.clock import RUN_STARTED
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Register = Callable[..., Patient]
MakeLog = Callable[[Clinic], AuditLog]
# The day before the test clock's instant (tests/clock.py), not the real clock's: read
# at import, before any test fixes the clock.
YESTERDAY = RUN_STARTED.date() - dt.timedelta(days=1)


def assert_well_formed(
    event: AuditEvent,
    access: ClinicAccess | None,
    *,
    action: str,
    object_type: str,
    object_id: object = "",
    patient: Patient | None = None,
) -> None:
    """The fields every event carries, and its place in the chain."""
    assert event.clinic_id == (access.clinic.pk if access else event.clinic_id)
    assert event.action == action
    assert event.object_type == object_type
    assert event.object_id == str(object_id)
    assert event.patient_id == (patient.pk if patient else None)
    if access:
        assert event.actor_id == access.user.pk
        assert event.actor_username == access.user.username
    assert event.request_id  # a fresh id outside a request
    assert event.occurred_at is not None
    previous = AuditEvent.objects.filter(
        clinic_id=event.clinic_id, sequence=event.sequence - 1
    ).first()
    assert event.prev_hash == (previous.hash if previous else chain.GENESIS_HASH)
    assert event.hash == chain.event_hash(event.prev_hash, event.chain_payload())


# --- patients -------------------------------------------------------------------------------


def test_patient_create_writes_one_create_event_with_every_field(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
) -> None:
    access = make_access(Role.FRONT_DESK, clinic)
    log = audit_log(clinic)

    patient = register(access, phone="01632 960001")

    event = log.single()
    assert_well_formed(
        event, access, action="create", object_type="patient", object_id=patient.pk, patient=patient
    )
    expected: dict[str, list[Any]] = {f: [None, ""] for f in services.PATIENT_FIELDS}
    expected |= {
        "mrn": [None, "A-100"],
        "legal_given_name": [None, "Ann"],
        "legal_family_name": [None, "Lee"],
        "date_of_birth": [None, "1980-01-02"],
        "sex_at_birth": [None, "female"],
        "phone": [None, "01632 960001"],
        "no_known_allergies": [None, False],
        "preferred_language": [None, "en"],
    }
    assert event.changes == expected
    assert event.details == {}
    assert event.sequence == 1


def test_patient_update_records_only_the_changed_fields(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
) -> None:
    access = make_access(Role.NURSE, clinic)
    patient = register(access)
    log = audit_log(clinic)

    services.patient_update(
        access=access,
        patient_id=patient.pk,
        data={
            "phone": "01632 960002",
            "date_of_birth": dt.date(1980, 1, 3),
            "legal_given_name": "Ann",
        },
    )

    event = log.single()
    assert_well_formed(
        event, access, action="update", object_type="patient", object_id=patient.pk, patient=patient
    )
    assert event.changes == {
        "phone": ["", "01632 960002"],
        "date_of_birth": ["1980-01-02", "1980-01-03"],
    }


def test_patient_update_without_a_change_writes_nothing(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
) -> None:
    access = make_access(Role.NURSE, clinic)
    patient = register(access)
    log = audit_log(clinic)

    services.patient_update(
        access=access, patient_id=patient.pk, data={"mrn": "A-100", "legal_family_name": "Lee"}
    )

    assert log.new() == []


def test_patient_archive_writes_one_archive_event(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
) -> None:
    access = make_access(Role.PRESCRIBER, clinic)
    patient = register(access)
    log = audit_log(clinic)

    archived = services.patient_archive(
        access=access, patient_id=patient.pk, reason="  Moved away  "
    )

    event = log.single()
    assert_well_formed(
        event,
        access,
        action="archive",
        object_type="patient",
        object_id=patient.pk,
        patient=patient,
    )
    assert archived.archived_at is not None
    assert event.changes == {
        "archived_at": [None, chain.jsonable(archived.archived_at)],
        "archive_reason": [None, "Moved away"],
    }


# --- chart entries --------------------------------------------------------------------------

RECORD_CASES: list[tuple[type[PatientRecord], dict[str, Any], dict[str, list[Any]]]] = [
    (
        BodyMeasurement,
        {"measured_on": YESTERDAY, "weight_kg": Decimal("72.5"), "height_cm": Decimal("170.0")},
        {
            "measured_on": [None, YESTERDAY.isoformat()],
            "weight_kg": [None, "72.5"],
            "height_cm": [None, "170.0"],
        },
    ),
    (
        Allergy,
        {"substance": "Penicillin", "reaction": "Rash", "severity": "moderate"},
        {
            "substance": [None, "Penicillin"],
            "reaction": [None, "Rash"],
            "severity": [None, "moderate"],
            "status": [None, "active"],
        },
    ),
    (
        Medication,
        {
            "name": "Sertraline",
            "dose": "100 mg",
            "frequency": "once daily",
            "start_date": dt.date(2025, 3, 1),
        },
        {
            "name": [None, "Sertraline"],
            "dose": [None, "100 mg"],
            "frequency": [None, "once daily"],
            "route": [None, ""],
            "start_date": [None, "2025-03-01"],
            "status": [None, "active"],
            "indication": [None, ""],
        },
    ),
    (
        Diagnosis,
        {
            "icd10_code": "f332",
            "description": "Major depressive disorder, recurrent, severe",
            "is_primary": True,
        },
        {
            "icd10_code": [None, "F33.2"],
            "description": [None, "Major depressive disorder, recurrent, severe"],
            "status": [None, "active"],
            "is_primary": [None, True],
        },
    ),
    (
        Consent,
        {
            "kind": "treatment",
            "decision": "granted",
            "document_version": "2026.1",
            "decided_on": YESTERDAY,
        },
        {
            "kind": [None, "treatment"],
            "decision": [None, "granted"],
            "treatment_form": [None, ""],
            "document_version": [None, "2026.1"],
            "decided_on": [None, YESTERDAY.isoformat()],
            "notes": [None, ""],
        },
    ),
]


@pytest.mark.parametrize(
    ("model", "data", "expected"), RECORD_CASES, ids=[m.__name__ for m, _, _ in RECORD_CASES]
)
def test_record_add_writes_one_create_event_per_entry(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
    model: type[PatientRecord],
    data: dict[str, Any],
    expected: dict[str, list[Any]],
) -> None:
    access = make_access(Role.NURSE, clinic)
    patient = register(access)
    log = audit_log(clinic)

    record = services.record_add(access=access, patient_id=patient.pk, model=model, data=data)

    event = log.single()
    assert_well_formed(
        event,
        access,
        action="create",
        object_type=model._meta.model_name or "",
        object_id=record.pk,
        patient=patient,
    )
    assert event.changes == expected


def test_record_update_records_old_and_new_values(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
) -> None:
    access = make_access(Role.PRESCRIBER, clinic)
    patient = register(access)
    medication = services.record_add(
        access=access,
        patient_id=patient.pk,
        model=Medication,
        data={"name": "Sertraline", "dose": "50 mg", "frequency": "once daily"},
    )
    log = audit_log(clinic)

    services.record_update(
        access=access,
        patient_id=patient.pk,
        model=Medication,
        record_id=medication.pk,
        data={
            "dose": "100 mg",
            "frequency": "once daily",
            "stop_date": dt.date(2026, 1, 31),
            "status": "stopped",
        },
    )

    event = log.single()
    assert_well_formed(
        event,
        access,
        action="update",
        object_type="medication",
        object_id=medication.pk,
        patient=patient,
    )
    assert event.changes == {
        "dose": ["50 mg", "100 mg"],
        "stop_date": [None, "2026-01-31"],
        "status": ["active", "stopped"],
    }


def test_record_update_without_a_change_writes_nothing(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
) -> None:
    access = make_access(Role.NURSE, clinic)
    patient = register(access)
    allergy = services.record_add(
        access=access,
        patient_id=patient.pk,
        model=Allergy,
        data={"substance": "Latex", "severity": "mild"},
    )
    log = audit_log(clinic)

    services.record_update(
        access=access,
        patient_id=patient.pk,
        model=Allergy,
        record_id=allergy.pk,
        data={"severity": "mild"},
    )

    assert log.new() == []


def test_record_mark_entered_in_error_writes_one_update_event(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
) -> None:
    access = make_access(Role.NURSE, clinic)
    patient = register(access)
    weight = services.record_add(
        access=access,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={"measured_on": YESTERDAY, "weight_kg": Decimal("27.5")},
    )
    log = audit_log(clinic)

    marked = services.record_mark_entered_in_error(
        access=access,
        patient_id=patient.pk,
        model=BodyMeasurement,
        record_id=weight.pk,
        reason=" Typed 27.5 for 72.5 ",
    )

    event = log.single()
    assert_well_formed(
        event,
        access,
        action="update",
        object_type="bodymeasurement",
        object_id=weight.pk,
        patient=patient,
    )
    assert event.changes == {
        "entered_in_error_at": [None, chain.jsonable(marked.entered_in_error_at)],
        "entered_in_error_reason": ["", "Typed 27.5 for 72.5"],
    }


# --- audited reads --------------------------------------------------------------------------


@pytest.mark.parametrize("section", list(services.CHART_SECTIONS))
def test_patient_view_writes_one_view_event_naming_the_section(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
    section: str,
) -> None:
    access = make_access(Role.THERAPIST, clinic)
    patient = register(make_access(Role.NURSE, clinic))
    log = audit_log(clinic)

    services.patient_view(access=access, patient_id=patient.pk, section=section)

    event = log.single()
    assert_well_formed(
        event, access, action="view", object_type="patient", object_id=patient.pk, patient=patient
    )
    assert event.changes == {}
    assert event.details == {"section": section}


def test_patient_search_writes_one_event_for_the_whole_page(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
) -> None:
    access = make_access(Role.FRONT_DESK, clinic)
    lee = register(access, mrn="A-1", legal_family_name="Lee")
    leeds = register(access, mrn="A-2", legal_family_name="Leeds")
    register(access, mrn="A-3", legal_family_name="Okoro")
    log = audit_log(clinic)

    page = services.patient_search_audited(access=access, query="lee")

    event = log.single()
    assert_well_formed(event, access, action="search", object_type="patient")
    assert [p.pk for p in page.object_list] == [lee.pk, leeds.pk]
    assert event.details == {
        "query": "lee",
        "page": 1,
        "results": 2,
        "patient_ids": [str(lee.pk), str(leeds.pk)],
    }


def test_a_view_through_the_api_records_ip_and_request_id(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
    register: Register,
    api_client: Callable[[ClinicAccess], Any],
) -> None:
    access = make_access(Role.PRESCRIBER, clinic)
    patient = register(access)
    log = audit_log(clinic)

    response = api_client(access).get(
        f"/api/v1/patients/{patient.pk}", headers={"X-Request-ID": "req-0123456789"}
    )

    assert response.status_code == 200
    event = log.single()
    assert event.action == "view"
    assert event.request_id == "req-0123456789"
    assert event.ip_address == "127.0.0.1"


# --- accounts -------------------------------------------------------------------------------


def test_api_token_create_writes_one_event_without_the_secret(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
) -> None:
    access = make_access(Role.NURSE, clinic)
    log = audit_log(clinic)

    token, raw = accounts.api_token_create(
        access=access, name=" lab interface ", expires_in_days=30
    )

    event = log.single()
    assert_well_formed(event, access, action="create", object_type="api_token", object_id=token.pk)
    assert token.expires_at is not None
    assert event.changes == {
        "name": [None, "lab interface"],
        "expires_at": [None, chain.jsonable(token.expires_at)],
    }
    secret = raw.split("_", 2)[2]
    assert secret not in str(event.changes) + str(event.details)


def test_api_token_revoke_writes_one_event_and_only_once(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
) -> None:
    access = make_access(Role.NURSE, clinic)
    token, _raw = accounts.api_token_create(access=access, name="lab", expires_in_days=30)
    log = audit_log(clinic)

    revoked = accounts.api_token_revoke(access=access, token_id=token.pk)
    event = log.single()
    accounts.api_token_revoke(access=access, token_id=token.pk)

    assert_well_formed(event, access, action="revoke", object_type="api_token", object_id=token.pk)
    assert event.changes == {"revoked_at": [None, chain.jsonable(revoked.revoked_at)]}
    assert log.new() == []


def test_membership_set_audits_creation_change_and_no_op(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    audit_log: MakeLog,
) -> None:
    admin = make_access(Role.CLINIC_ADMIN, clinic)
    staff = cast(User, UserFactory(username="new.nurse"))
    log = audit_log(clinic)

    membership = accounts.membership_set(
        clinic=clinic, user=staff, role=Role.NURSE, actor=admin.user
    )
    created = log.single()
    accounts.membership_set(clinic=clinic, user=staff, role=Role.PRESCRIBER, actor=admin.user)
    changed = log.single()
    accounts.membership_set(clinic=clinic, user=staff, role=Role.PRESCRIBER, actor=admin.user)
    assert log.new() == []
    accounts.membership_set(
        clinic=clinic, user=staff, role=Role.PRESCRIBER, actor=admin.user, is_active=False
    )
    deactivated = log.single()

    for event in (created, changed, deactivated):
        assert_well_formed(
            event, admin, action=event.action, object_type="membership", object_id=membership.pk
        )
        assert event.details == {"user": "new.nurse"}
    assert created.action == "create"
    assert created.changes == {"role": [None, "nurse"], "is_active": [None, True]}
    assert changed.action == "update"
    assert changed.changes == {"role": ["nurse", "prescriber"]}
    assert deactivated.action == "update"
    assert deactivated.changes == {"is_active": [True, False]}


def test_clinic_create_starts_the_new_clinics_chain(db: None) -> None:
    new = accounts.clinic_create(name="Lakeside", slug="lakeside", time_zone="Europe/Paris")

    event = AuditEvent.objects.get(clinic=new)
    assert_well_formed(event, None, action="create", object_type="clinic", object_id=new.pk)
    assert event.sequence == 1
    assert event.actor is None and event.actor_username == "system"
    assert event.changes == {
        "name": [None, "Lakeside"],
        "slug": [None, "lakeside"],
        "time_zone": [None, "Europe/Paris"],
        "mfa_required": [None, True],
    }


# --- the chain across services --------------------------------------------------------------


def test_each_clinics_chain_is_sequential_and_verifies(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    other_clinic: Clinic,
    register: Register,
) -> None:
    here = make_access(Role.PRESCRIBER, clinic)
    there = make_access(Role.PRESCRIBER, other_clinic)
    patient = register(here)
    register(there, mrn="B-1")
    services.record_add(
        access=here, patient_id=patient.pk, model=Allergy, data={"substance": "Latex"}
    )
    services.patient_view(access=here, patient_id=patient.pk)
    services.patient_search_audited(access=there, query="")
    services.patient_archive(access=here, patient_id=patient.pk, reason="Discharged")

    for current, count in ((clinic, 4), (other_clinic, 2)):
        events = list(AuditEvent.objects.filter(clinic=current).order_by("sequence"))
        assert [e.sequence for e in events] == list(range(1, count + 1))
        assert events[0].prev_hash == chain.GENESIS_HASH
        for before, after in itertools.pairwise(events):
            assert after.prev_hash == before.hash
        result = audit_chain_verify(clinic=current)
        assert result.broken is None
        assert result.events == count


def test_a_patients_data_goes_to_the_trail_of_its_own_clinic_only(
    make_access: Callable[..., ClinicAccess],
    clinic: Clinic,
    other_clinic: Clinic,
    register: Register,
) -> None:
    register(make_access(Role.NURSE, clinic))
    assert AuditEvent.objects.filter(clinic=clinic).count() == 1
    assert AuditEvent.objects.filter(clinic=other_clinic).count() == 0
