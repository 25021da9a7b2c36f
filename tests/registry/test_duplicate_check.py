"""Registration looks for the same person first (services and selectors)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.patients import services
from ketacare.patients.duplicates import SAME_NAME, SAME_PHONE, SWAPPED_NAMES
from ketacare.patients.models import Patient
from tests.registry.conftest import ANN, ANN_AGAIN

pytestmark = pytest.mark.django_db


def test_a_duplicate_is_refused_naming_the_existing_record(
    prescriber: ClinicAccess, ann: Patient
) -> None:
    with pytest.raises(services.DuplicateSuspected) as refused:
        services.patient_create(access=prescriber, data=ANN_AGAIN)
    assert [c.key for c in refused.value.candidates] == [ann]
    assert refused.value.candidates[0].reasons == (SAME_NAME,)
    message = refused.value.errors["confirm_not_duplicate"][0]
    assert "A-1" in message and "Lee, Ann" in message
    assert not Patient.objects.filter(mrn="A-2").exists()


def test_the_candidates_shown_are_audited_as_a_read(prescriber: ClinicAccess, ann: Patient) -> None:
    with pytest.raises(services.DuplicateSuspected):
        services.patient_create(access=prescriber, data=ANN_AGAIN)
    event = AuditEvent.objects.filter(clinic=prescriber.clinic, action="search").latest("sequence")
    assert event.details["duplicate_check"] is True
    assert event.details["patient_ids"] == [str(ann.pk)]


def test_confirming_registers_and_the_create_event_keeps_the_confirmation(
    prescriber: ClinicAccess, ann: Patient
) -> None:
    again = services.patient_create(access=prescriber, data=ANN_AGAIN, confirm_not_duplicate=True)
    event = AuditEvent.objects.get(action="create", object_type="patient", object_id=again.pk)
    assert event.details["confirm_not_duplicate"] is True
    assert event.details["possible_duplicates"][0]["mrn"] == "A-1"


def test_swapped_names_and_same_phone_are_candidates(
    prescriber: ClinicAccess, ann: Patient
) -> None:
    swapped = ANN | {"mrn": "A-3", "legal_given_name": "Lee", "legal_family_name": "Ann"}
    with pytest.raises(services.DuplicateSuspected) as refused:
        services.patient_create(access=prescriber, data=swapped)
    assert SWAPPED_NAMES in refused.value.candidates[0].reasons
    phone = ANN | {"mrn": "A-4", "legal_given_name": "Annabel", "phone": "(503) 555-0117"}
    with pytest.raises(services.DuplicateSuspected) as refused:
        services.patient_create(access=prescriber, data=phone)
    assert refused.value.candidates[0].reasons == (SAME_PHONE,)


def test_no_candidate_no_question(prescriber: ClinicAccess, ann: Patient) -> None:
    other = ANN | {"mrn": "B-1", "legal_given_name": "Bea", "phone": ""}
    assert services.patient_create(access=prescriber, data=other).mrn == "B-1"


def test_invalid_fields_are_reported_before_the_duplicate_question(
    prescriber: ClinicAccess, ann: Patient
) -> None:
    with pytest.raises(services.ValidationFailed) as refused:
        services.patient_create(access=prescriber, data=ANN_AGAIN | {"mrn": "bad mrn!"})
    assert not isinstance(refused.value, services.DuplicateSuspected)
    assert "mrn" in refused.value.errors


def test_another_clinics_patient_is_never_a_candidate(
    make_access: Callable[..., ClinicAccess], other_clinic: Clinic, ann: Patient
) -> None:
    elsewhere = make_access(Role.PRESCRIBER, other_clinic)
    assert services.patient_create(access=elsewhere, data=ANN_AGAIN).mrn == "A-2"
