"""Behaviour of the patient services beyond single-field validation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import ValidationFailed
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
from ketacare.patients.selectors import chart_summary, record_list
from tests.clock import RUN_STARTED

pytestmark = pytest.mark.django_db
# The day before the test clock's instant (tests/clock.py), not the real clock's: read
# at import, before any test fixes the clock.
YESTERDAY = RUN_STARTED.date() - dt.timedelta(days=1)
PATIENT: dict[str, Any] = {
    "mrn": "A-1",
    "legal_given_name": "Ann",
    "legal_family_name": "Lee",
    "date_of_birth": dt.date(1980, 1, 2),
    "sex_at_birth": "female",
}
ENTRY_DATA: dict[type[PatientRecord], dict[str, Any]] = {
    BodyMeasurement: {"measured_on": YESTERDAY, "weight_kg": Decimal("70.0")},
    Allergy: {"substance": "Latex"},
    Medication: {"name": "Sertraline", "dose": "50 mg", "frequency": "once daily"},
    Diagnosis: {"icd10_code": "F33.2", "description": "Recurrent depression"},
    Consent: {
        "kind": "treatment",
        "decision": "granted",
        "document_version": "2026.1",
        "decided_on": YESTERDAY,
    },
}


@pytest.fixture
def prescriber(make_access: Callable[..., ClinicAccess], clinic: Clinic) -> ClinicAccess:
    return make_access(Role.PRESCRIBER, clinic)


@pytest.fixture
def patient(prescriber: ClinicAccess) -> Patient:
    return services.patient_create(access=prescriber, data=PATIENT)


def _events(clinic: Clinic) -> int:
    return AuditEvent.objects.filter(clinic=clinic).count()


# --- archived patients are read-only --------------------------------------------------------


@pytest.fixture
def archived(prescriber: ClinicAccess, patient: Patient) -> Patient:
    """An archived patient who had one entry of each kind before archiving."""
    for model, data in ENTRY_DATA.items():
        services.record_add(access=prescriber, patient_id=patient.pk, model=model, data=data)
    return services.patient_archive(access=prescriber, patient_id=patient.pk, reason="Moved away")


def _assert_read_only(error: pytest.ExceptionInfo[ValidationFailed]) -> None:
    assert error.value.errors == {"patient": ["This patient is archived; the record is read-only."]}


def test_archived_patient_details_cannot_be_updated(
    prescriber: ClinicAccess, archived: Patient
) -> None:
    before = _events(prescriber.clinic)

    with pytest.raises(ValidationFailed) as error:
        services.patient_update(
            access=prescriber, patient_id=archived.pk, data={"phone": "01632 960004"}
        )

    _assert_read_only(error)
    archived.refresh_from_db()
    assert archived.phone == ""
    assert _events(prescriber.clinic) == before


@pytest.mark.parametrize("model", list(ENTRY_DATA), ids=lambda m: m.__name__)
def test_archived_patient_gets_no_new_entries(
    prescriber: ClinicAccess, archived: Patient, model: type[PatientRecord]
) -> None:
    before_rows, before_events = model._default_manager.count(), _events(prescriber.clinic)

    with pytest.raises(ValidationFailed) as error:
        services.record_add(
            access=prescriber, patient_id=archived.pk, model=model, data=ENTRY_DATA[model]
        )

    _assert_read_only(error)
    assert model._default_manager.count() == before_rows
    assert _events(prescriber.clinic) == before_events


@pytest.mark.parametrize("model", [Allergy, Medication, Diagnosis], ids=lambda m: m.__name__)
def test_archived_patient_entries_cannot_be_corrected(
    prescriber: ClinicAccess, archived: Patient, model: type[PatientRecord]
) -> None:
    entry = model._default_manager.get(patient=archived)
    field = services.UPDATABLE[model][-1]

    with pytest.raises(ValidationFailed) as error:
        services.record_update(
            access=prescriber,
            patient_id=archived.pk,
            model=model,
            record_id=entry.pk,
            data={field: getattr(entry, field)},
        )

    _assert_read_only(error)


@pytest.mark.parametrize("model", list(ENTRY_DATA), ids=lambda m: m.__name__)
def test_archived_patient_entries_cannot_be_marked_in_error(
    prescriber: ClinicAccess, archived: Patient, model: type[PatientRecord]
) -> None:
    entry = model._default_manager.get(patient=archived)

    with pytest.raises(ValidationFailed) as error:
        services.record_mark_entered_in_error(
            access=prescriber,
            patient_id=archived.pk,
            model=model,
            record_id=entry.pk,
            reason="Oops",
        )

    _assert_read_only(error)
    entry.refresh_from_db()
    assert entry.entered_in_error_at is None


def test_an_archived_patient_cannot_be_archived_again(
    prescriber: ClinicAccess, archived: Patient
) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.patient_archive(access=prescriber, patient_id=archived.pk, reason="Again")
    _assert_read_only(error)


def test_archived_patient_stays_readable_and_findable(
    prescriber: ClinicAccess, archived: Patient
) -> None:
    assert services.patient_view(access=prescriber, patient_id=archived.pk).is_archived
    assert list(services.patient_search_audited(access=prescriber, query="Lee")) == []
    found = services.patient_search_audited(access=prescriber, query="Lee", include_archived=True)
    assert [p.pk for p in found] == [archived.pk]
    for model in ENTRY_DATA:
        assert record_list(access=prescriber, patient_id=archived.pk, model=model).count() == 1


def test_archiving_needs_a_reason(prescriber: ClinicAccess, patient: Patient) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.patient_archive(access=prescriber, patient_id=patient.pk, reason="   ")
    assert list(error.value.errors) == ["reason"]
    patient.refresh_from_db()
    assert not patient.is_archived


# --- entries entered in error ---------------------------------------------------------------


def test_an_entry_marked_in_error_stays_listed_with_its_reason(
    prescriber: ClinicAccess, patient: Patient
) -> None:
    right = services.record_add(
        access=prescriber,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={"measured_on": YESTERDAY - dt.timedelta(days=7), "weight_kg": Decimal("72.5")},
    )
    wrong = services.record_add(
        access=prescriber,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={"measured_on": YESTERDAY, "weight_kg": Decimal("27.5")},
    )

    services.record_mark_entered_in_error(
        access=prescriber,
        patient_id=patient.pk,
        model=BodyMeasurement,
        record_id=wrong.pk,
        reason="Digits swapped",
    )

    listed = {
        e.pk: e
        for e in record_list(access=prescriber, patient_id=patient.pk, model=BodyMeasurement)
    }
    assert set(listed) == {right.pk, wrong.pk}
    assert listed[wrong.pk].entered_in_error_at is not None
    assert listed[wrong.pk].entered_in_error_reason == "Digits swapped"
    assert listed[wrong.pk].weight_kg == Decimal("27.5")  # kept as entered
    assert listed[right.pk].entered_in_error_at is None
    # ...but it no longer counts as the latest weight.
    latest = chart_summary(patient=patient).latest_measurement
    assert latest is not None and latest.pk == right.pk


def test_an_entry_in_error_shows_struck_through_on_the_chart(
    prescriber: ClinicAccess, patient: Patient
) -> None:
    allergy = services.record_add(
        access=prescriber, patient_id=patient.pk, model=Allergy, data={"substance": "Peanuts"}
    )
    services.record_mark_entered_in_error(
        access=prescriber,
        patient_id=patient.pk,
        model=Allergy,
        record_id=allergy.pk,
        reason="Wrong patient",
    )
    client = Client()
    client.force_login(prescriber.user)

    html = client.get(
        f"/c/{prescriber.clinic.slug}/patients/{patient.pk}/allergies/"
    ).content.decode()

    assert 'class="in-error"' in html
    assert "Peanuts" in html
    assert "<strong>Entered in error:</strong> Wrong patient" in html
    assert allergy not in chart_summary(patient=patient).active_allergies


def test_an_entry_in_error_cannot_be_corrected_or_marked_twice(
    prescriber: ClinicAccess, patient: Patient
) -> None:
    medication = services.record_add(
        access=prescriber, patient_id=patient.pk, model=Medication, data=ENTRY_DATA[Medication]
    )
    services.record_mark_entered_in_error(
        access=prescriber,
        patient_id=patient.pk,
        model=Medication,
        record_id=medication.pk,
        reason="Duplicate",
    )
    events = _events(prescriber.clinic)

    with pytest.raises(ValidationFailed) as update_error:
        services.record_update(
            access=prescriber,
            patient_id=patient.pk,
            model=Medication,
            record_id=medication.pk,
            data={"dose": "100 mg"},
        )
    with pytest.raises(ValidationFailed) as again_error:
        services.record_mark_entered_in_error(
            access=prescriber,
            patient_id=patient.pk,
            model=Medication,
            record_id=medication.pk,
            reason="Again",
        )

    assert update_error.value.errors == {"record": ["This entry is marked as entered in error."]}
    assert again_error.value.errors == {"record": ["This entry is already marked as in error."]}
    medication.refresh_from_db()
    assert medication.dose == "50 mg"
    assert medication.entered_in_error_reason == "Duplicate"
    assert _events(prescriber.clinic) == events


def test_marking_in_error_needs_a_reason(prescriber: ClinicAccess, patient: Patient) -> None:
    allergy = services.record_add(
        access=prescriber, patient_id=patient.pk, model=Allergy, data={"substance": "Latex"}
    )
    with pytest.raises(ValidationFailed) as error:
        services.record_mark_entered_in_error(
            access=prescriber,
            patient_id=patient.pk,
            model=Allergy,
            record_id=allergy.pk,
            reason=" ",
        )
    assert list(error.value.errors) == ["reason"]


# --- allergies and "no known allergies" -----------------------------------------------------


def test_adding_an_allergy_clears_no_known_allergies_and_audits_it(
    prescriber: ClinicAccess,
) -> None:
    patient = services.patient_create(
        access=prescriber, data=PATIENT | {"no_known_allergies": True}
    )
    before = _events(prescriber.clinic)

    allergy = services.record_add(
        access=prescriber,
        patient_id=patient.pk,
        model=Allergy,
        data={"substance": "Penicillin", "severity": "severe"},
    )

    patient.refresh_from_db()
    assert patient.no_known_allergies is False
    flag, added = AuditEvent.objects.filter(clinic=prescriber.clinic, sequence__gt=before).order_by(
        "sequence"
    )
    assert (flag.action, flag.object_type, flag.object_id) == ("update", "patient", str(patient.pk))
    assert flag.changes == {"no_known_allergies": [True, False]}
    assert flag.actor == prescriber.user
    assert (added.action, added.object_type, added.object_id) == (
        "create",
        "allergy",
        str(allergy.pk),
    )


def test_adding_an_allergy_to_a_patient_without_the_flag_writes_one_event(
    prescriber: ClinicAccess,
    patient: Patient,
) -> None:
    before = _events(prescriber.clinic)
    services.record_add(
        access=prescriber, patient_id=patient.pk, model=Allergy, data={"substance": "Latex"}
    )
    assert _events(prescriber.clinic) == before + 1


def test_other_entries_leave_no_known_allergies_alone(prescriber: ClinicAccess) -> None:
    patient = services.patient_create(
        access=prescriber, data=PATIENT | {"no_known_allergies": True}
    )
    for model in (BodyMeasurement, Medication, Diagnosis, Consent):
        services.record_add(
            access=prescriber, patient_id=patient.pk, model=model, data=ENTRY_DATA[model]
        )
    patient.refresh_from_db()
    assert patient.no_known_allergies is True


# --- plausibility limits from settings ------------------------------------------------------


def _weigh(access: ClinicAccess, patient: Patient, kg: str) -> BodyMeasurement:
    return services.record_add(
        access=access,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={"measured_on": YESTERDAY, "weight_kg": Decimal(kg)},
    )


def test_weight_limits_default_to_20_to_350_kg(prescriber: ClinicAccess, patient: Patient) -> None:
    _weigh(prescriber, patient, "20.0")
    _weigh(prescriber, patient, "350.0")
    with pytest.raises(ValidationFailed) as error:
        _weigh(prescriber, patient, "350.1")
    assert error.value.errors == {
        "weight_kg": ["Weight of 350.1 kg is outside the plausible range 20-350 kg."]
    }


def test_weight_limit_moves_with_the_setting(
    prescriber: ClinicAccess, patient: Patient, settings: Settings
) -> None:
    with pytest.raises(ValidationFailed):
        _weigh(prescriber, patient, "360.0")

    settings.KETACARE_WEIGHT_MAX_KG = 400
    assert _weigh(prescriber, patient, "360.0").weight_kg == Decimal("360.0")
    with pytest.raises(ValidationFailed) as error:
        _weigh(prescriber, patient, "400.5")
    assert error.value.errors == {
        "weight_kg": ["Weight of 400.5 kg is outside the plausible range 20-400 kg."]
    }

    settings.KETACARE_WEIGHT_MAX_KG = 150
    with pytest.raises(ValidationFailed) as error:
        _weigh(prescriber, patient, "200.0")
    assert "20-150 kg" in error.value.errors["weight_kg"][0]


def test_weight_minimum_moves_with_the_setting(
    prescriber: ClinicAccess, patient: Patient, settings: Settings
) -> None:
    _weigh(prescriber, patient, "25.0")
    settings.KETACARE_WEIGHT_MIN_KG = 30
    with pytest.raises(ValidationFailed) as error:
        _weigh(prescriber, patient, "25.0")
    assert error.value.errors == {
        "weight_kg": ["Weight of 25.0 kg is outside the plausible range 30-350 kg."]
    }


def test_height_limit_moves_with_the_setting(
    prescriber: ClinicAccess, patient: Patient, settings: Settings
) -> None:
    data = {"measured_on": YESTERDAY, "weight_kg": Decimal("60.0"), "height_cm": Decimal("95.0")}
    with pytest.raises(ValidationFailed) as error:
        services.record_add(
            access=prescriber, patient_id=patient.pk, model=BodyMeasurement, data=data
        )
    assert list(error.value.errors) == ["height_cm"]
    settings.KETACARE_HEIGHT_MIN_CM = 90
    services.record_add(access=prescriber, patient_id=patient.pk, model=BodyMeasurement, data=data)


def test_a_refused_weight_saves_and_audits_nothing(
    prescriber: ClinicAccess, patient: Patient
) -> None:
    before = _events(prescriber.clinic)
    with pytest.raises(ValidationFailed):
        _weigh(prescriber, patient, "5.0")
    assert not BodyMeasurement.objects.exists()
    assert _events(prescriber.clinic) == before
