"""Merging a duplicate record into the kept one, and undoing it (ketacare.patients.merge)."""

from __future__ import annotations

import datetime as dt

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.measures.models import MeasurementPlan
from ketacare.patients import merge, services
from ketacare.patients.models import Allergy, Diagnosis, Medication, Patient, PatientMerge
from ketacare.patients.selectors import patient_search
from tests.factories import AllergyFactory, DiagnosisFactory, MedicationFactory
from tests.registry.conftest import ANN

pytestmark = pytest.mark.django_db


def test_every_relation_to_patient_moves_or_is_excluded_with_a_reason() -> None:
    """An app added later with a foreign key to Patient is moved unless excluded here."""
    keys = {merge.relation_key(f) for f in merge.patient_relations()}
    moving = {merge.relation_key(f) for f in merge.moving_relations()}
    assert set(merge.EXCLUDED) <= keys, "an exclusion names a relation that no longer exists"
    assert moving | set(merge.EXCLUDED) == keys
    assert all(reason.strip() for reason in merge.EXCLUDED.values())
    # The chart entries of every app are among those that move.
    for label in (
        "patients.Allergy.patient",
        "treatment.TreatmentSession.patient",
        "measures.MeasurementPlan.patient",
        "dosing.DoseOrder.patient",
        "consent.EConsent.patient",
        "eligibility.Episode.patient",
        "exchange.ChartDocument.patient",
    ):
        assert label in moving


def _chart(patient: Patient) -> None:
    AllergyFactory.create(patient=patient, clinic=patient.clinic, substance="Latex")
    MedicationFactory.create(patient=patient, clinic=patient.clinic)
    DiagnosisFactory.create(patient=patient, clinic=patient.clinic)


def _plan(patient: Patient, by: ClinicAccess) -> None:
    MeasurementPlan.objects.create(
        clinic=patient.clinic, patient=patient, starts_on=dt.date(2026, 1, 1), created_by=by.user
    )


def test_merge_moves_every_entry_and_archives_the_duplicate(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    _chart(ann_again)
    MeasurementPlan.objects.create(
        clinic=ann.clinic,
        patient=ann_again,
        starts_on=dt.date(2026, 1, 1),
        created_by=prescriber.user,
    )
    preview = merge.patient_merge_preview(
        access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk
    )
    assert preview.problems == [] and preview.total == 4
    done = merge.patient_merge(
        access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="Registered twice"
    )
    for model in (Allergy, Medication, Diagnosis, MeasurementPlan):
        assert not model.objects.filter(patient=ann_again).exists()
        assert model.objects.filter(patient=ann).count() == 1
    ann_again.refresh_from_db()
    assert ann_again.merged_into == ann and ann_again.is_archived
    assert done.moved_count == 4
    assert {g["model"] for g in done.moved} >= {"patients.Allergy", "measures.MeasurementPlan"}
    # Gone from the registry search, even with archived records.
    found = patient_search(access=prescriber, query="Lee", include_archived=True)
    assert list(found.object_list) == [ann]
    # Both trails show it.
    for patient in (ann, ann_again):
        assert AuditEvent.objects.filter(
            action="merge", patient_id=patient.pk, object_id=str(done.pk)
        ).exists()


def test_undo_moves_exactly_those_rows_back(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    _chart(ann)
    _chart(ann_again)
    before = set(Allergy.objects.filter(patient=ann_again).values_list("pk", flat=True))
    done = merge.patient_merge(
        access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="Registered twice"
    )
    assert Allergy.objects.filter(patient=ann).count() == 2
    merge.patient_merge_undo(access=prescriber, merge_id=done.pk, reason="Twins, not one person")
    assert set(Allergy.objects.filter(patient=ann_again).values_list("pk", flat=True)) == before
    assert Allergy.objects.filter(patient=ann).count() == 1
    ann_again.refresh_from_db()
    assert ann_again.merged_into is None and not ann_again.is_archived
    done.refresh_from_db()
    assert done.undone_at is not None
    for patient in (ann, ann_again):
        assert AuditEvent.objects.filter(action="unmerge", patient_id=patient.pk).exists()
    with pytest.raises(ValidationFailed, match="already been undone"):
        merge.patient_merge_undo(access=prescriber, merge_id=done.pk, reason="again")


def test_a_one_per_patient_row_on_both_records_is_refused_with_the_reason(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    for patient in (ann, ann_again):
        MeasurementPlan.objects.create(
            clinic=ann.clinic,
            patient=patient,
            starts_on=dt.date(2026, 1, 1),
            created_by=prescriber.user,
        )
    preview = merge.patient_merge_preview(
        access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk
    )
    assert any("measurement plan" in p for p in preview.problems)
    with pytest.raises(ValidationFailed) as refused:
        merge.patient_merge(
            access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="Same person"
        )
    assert "measurement plan" in refused.value.errors["kept_id"][0]
    assert MeasurementPlan.objects.filter(patient=ann_again).count() == 1


def test_refusals_name_the_field(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        merge.patient_merge(access=prescriber, patient_id=ann.pk, kept_id=ann.pk, reason="x")
    assert "kept_id" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        merge.patient_merge(access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason=" ")
    assert "reason" in refused.value.errors
    merge.patient_merge(access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="x")
    with pytest.raises(ValidationFailed) as refused:
        merge.patient_merge(access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="x")
    assert "patient" in refused.value.errors


def test_only_prescribers_and_administrators_merge(
    admin: ClinicAccess, desk: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    with pytest.raises(PermissionDenied):
        merge.patient_merge(access=desk, patient_id=ann_again.pk, kept_id=ann.pk, reason="x")
    done = merge.patient_merge(access=admin, patient_id=ann_again.pk, kept_id=ann.pk, reason="x")
    with pytest.raises(PermissionDenied):
        merge.patient_merge_undo(access=desk, merge_id=done.pk, reason="x")


def test_another_clinics_record_is_not_found(
    make_access: object,
    other_clinic: object,
    prescriber: ClinicAccess,
    ann: Patient,
    ann_again: Patient,
) -> None:

    elsewhere = make_access(Role.PRESCRIBER, other_clinic)  # type: ignore[operator]
    with pytest.raises(NotFound):
        merge.patient_merge(access=elsewhere, patient_id=ann_again.pk, kept_id=ann.pk, reason="x")
    done = merge.patient_merge(
        access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="x"
    )
    with pytest.raises(NotFound):
        merge.patient_merge_undo(access=elsewhere, merge_id=done.pk, reason="x")
    with pytest.raises(NotFound):
        merge.patient_merge_undo(access=prescriber, merge_id="not-a-uuid", reason="x")
    assert PatientMerge.objects.count() == 1


def test_the_merged_record_no_longer_counts_as_a_duplicate(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    merge.patient_merge(access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="x")
    with pytest.raises(services.DuplicateSuspected) as refused:
        services.patient_create(access=prescriber, data=ANN | {"mrn": "A-9"})
    assert [c.key for c in refused.value.candidates] == [ann]


def test_stored_course_state_is_refreshed_for_both_patients(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshed: list[object] = []
    monkeypatch.setattr(merge, "course_state_refresh", lambda clinic, pid: refreshed.append(pid))
    done = merge.patient_merge(
        access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="x"
    )
    assert sorted(map(str, refreshed)) == sorted([str(ann.pk), str(ann_again.pk)])
    merge.patient_merge_undo(access=prescriber, merge_id=done.pk, reason="y")
    assert len(refreshed) == 4


def test_a_session_and_its_dependants_move_with_the_patient(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    """A chart entry of another app (a treatment session) moves, and course state is
    recomputed on the kept record without error."""
    from ketacare.treatment.models import TreatmentSession
    from tests.sessions import build

    session = build.esketamine_pre_dose(prescriber, prescriber, ann_again)
    merge.patient_merge(access=prescriber, patient_id=ann_again.pk, kept_id=ann.pk, reason="x")
    assert TreatmentSession.objects.get(pk=session.pk).patient_id == ann.pk
