"""History, screening and caution services: audit rows, rollback, re-runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.eligibility import selectors, services
from ketacare.eligibility.models import (
    AntidepressantTrial,
    CautionAcceptance,
    ScreeningResult,
)
from ketacare.patients import services as patients
from ketacare.patients.models import Diagnosis, Medication
from tests.api.world import member
from tests.clinical import ANEURYSM_CHECKLIST, CLEAN_CHECKLIST, MAOI
from tests.clock import advance_clock
from tests.eligibility.conftest import Team

TODAY = dt.date(2026, 1, 15)


def events(team: Team, object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(clinic=team.clinic, object_type=object_type))


def test_history_derives_resistance_and_stages(team: Team) -> None:
    view = selectors.history_of(patient=team.patient, today=TODAY)
    assert view.resistance.value == "treatment-resistant"
    assert view.thase_rush.value == "II"
    assert view.maudsley is not None
    assert view.maudsley.value == "7 (moderate)"  # 24 months 2 + severe 4 + 2 drugs 1
    assert all(t.adequacy.adequate for t in view.trials)
    assert len(events(team, "antidepressanttrial")) == 2


def test_history_validation_saves_nothing(team: Team) -> None:
    before = AntidepressantTrial.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.history_add(
            access=team.prescriber,
            patient_id=team.patient.pk,
            model=AntidepressantTrial,
            data={
                "drug": "Sertraline",
                "drug_class": "nonsense",
                "max_daily_dose_mg": Decimal("-5"),
                "weeks_at_dose": Decimal("8"),
                "outcome": "no_response",
            },
        )
    assert "drug_class" in exc.value.errors
    assert AntidepressantTrial.objects.count() == before


def test_marking_a_trial_in_error_changes_the_status(team: Team) -> None:
    trial = AntidepressantTrial.objects.filter(patient=team.patient).first()
    assert trial
    services.history_mark_entered_in_error(
        access=team.nurse,
        patient_id=team.patient.pk,
        model=AntidepressantTrial,
        record_id=trial.pk,
        reason="Wrong patient",
    )
    view = selectors.history_of(patient=team.patient, today=TODAY)
    assert view.resistance.value == "not treatment-resistant"
    assert len(view.trials) == 2  # still shown, struck through


def test_screening_is_stored_audited_and_never_overwritten(team: Team) -> None:
    first = services.screening_run(
        access=team.nurse,
        patient_id=team.patient.pk,
        protocol_code="iv_ketamine",
        checklist=CLEAN_CHECKLIST,
    )
    assert first.outcome == "eligible", first.reasons
    advance_clock(minutes=1)
    second = services.screening_run(
        access=team.nurse, patient_id=team.patient.pk, protocol_code="iv_ketamine"
    )
    assert second.outcome == "eligible"  # the saved checklist stands
    assert ScreeningResult.objects.filter(patient=team.patient).count() == 2
    assert len(events(team, "screeningresult")) == 2
    summary = selectors.latest_screening(
        clinic=team.clinic, patient_id=team.patient.pk, protocol_code="iv_ketamine"
    )
    assert summary and summary.id == second.pk and summary.open_cautions == 0


def test_unknown_protocol_and_bad_checklist_are_refused(team: Team) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.screening_run(access=team.nurse, patient_id=team.patient.pk, protocol_code="nope")
    assert "protocol_code" in exc.value.errors
    with pytest.raises(ValidationFailed):
        services.screening_run(
            access=team.nurse,
            patient_id=team.patient.pk,
            protocol_code="iv_ketamine",
            checklist={"answers": {"aneurysmal_vascular_disease": "maybe"}},
        )
    assert not ScreeningResult.objects.exists()


def test_medication_change_reruns_screening_in_the_same_transaction(team: Team) -> None:
    services.screening_run(
        access=team.nurse,
        patient_id=team.patient.pk,
        protocol_code="iv_ketamine",
        checklist=CLEAN_CHECKLIST,
    )
    advance_clock(minutes=1)
    patients.record_add(
        access=team.nurse,
        patient_id=team.patient.pk,
        model=Medication,
        data={"name": "Lorazepam", "dose": "2 mg", "frequency": "twice daily"},
    )
    latest = selectors.latest_screening(
        clinic=team.clinic, patient_id=team.patient.pk, protocol_code="iv_ketamine"
    )
    assert latest and latest.outcome == "eligible_with_cautions"
    assert any(r["code"] == "benzodiazepine_load:lorazepam" for r in latest.reasons)
    rerun = ScreeningResult.objects.filter(patient=team.patient).first()
    assert rerun and rerun.trigger == "record_changed"


def test_a_failed_change_rolls_back_its_rerun(team: Team) -> None:
    services.screening_run(
        access=team.nurse,
        patient_id=team.patient.pk,
        protocol_code="iv_ketamine",
        checklist=CLEAN_CHECKLIST,
    )
    count = ScreeningResult.objects.count()
    with pytest.raises(ValidationFailed):
        patients.record_add(
            access=team.nurse,
            patient_id=team.patient.pk,
            model=Diagnosis,
            data={"icd10_code": "not-a-code", "description": "x"},
        )
    assert ScreeningResult.objects.count() == count


def test_aneurysm_is_not_eligible_and_cannot_be_accepted(team: Team) -> None:
    result = services.screening_run(
        access=team.prescriber,
        patient_id=team.patient.pk,
        protocol_code="iv_ketamine",
        checklist=ANEURYSM_CHECKLIST,
    )
    assert result.outcome == "not_eligible"
    with pytest.raises(ValidationFailed) as exc:
        services.caution_accept(
            access=team.prescriber,
            patient_id=team.patient.pk,
            screening_id=result.pk,
            code="aneurysmal_vascular_disease",
            justification="I really want to treat this patient.",
        )
    assert "cannot be overridden" in exc.value.errors["code"][0]
    assert not CautionAcceptance.objects.exists()


def test_a_prescriber_accepts_a_caution_with_a_justification(team: Team) -> None:
    patients.record_add(
        access=team.nurse,
        patient_id=team.patient.pk,
        model=Medication,
        data=MAOI,
    )
    result = services.screening_run(
        access=team.prescriber,
        patient_id=team.patient.pk,
        protocol_code="iv_ketamine",
        checklist=CLEAN_CHECKLIST,
    )
    assert result.outcome == "eligible_with_cautions"
    with pytest.raises(PermissionDenied):
        services.caution_accept(
            access=team.nurse,
            patient_id=team.patient.pk,
            screening_id=result.pk,
            code="maoi:phenelzine",
            justification="BP monitored every 10 minutes.",
        )
    with pytest.raises(ValidationFailed):
        services.caution_accept(
            access=team.prescriber,
            patient_id=team.patient.pk,
            screening_id=result.pk,
            code="maoi:phenelzine",
            justification="ok",
        )
    services.caution_accept(
        access=team.prescriber,
        patient_id=team.patient.pk,
        screening_id=result.pk,
        code="maoi:phenelzine",
        justification="BP monitored every 10 minutes; cardiology agrees.",
    )
    (event,) = events(team, "cautionacceptance")
    assert event.action == "acknowledge" and event.details["code"] == "maoi:phenelzine"
    summary = selectors.latest_screening(
        clinic=team.clinic, patient_id=team.patient.pk, protocol_code="iv_ketamine"
    )
    assert summary and summary.open_cautions == 0
    # The acceptance carries to a re-run with the same evidence...
    advance_clock(minutes=1)
    services.screening_run(
        access=team.prescriber, patient_id=team.patient.pk, protocol_code="iv_ketamine"
    )
    again = selectors.latest_screening(
        clinic=team.clinic, patient_id=team.patient.pk, protocol_code="iv_ketamine"
    )
    assert again and again.open_cautions == 0
    # ... and not to changed evidence.
    med = Medication.objects.get(patient=team.patient)
    advance_clock(minutes=1)
    patients.record_update(
        access=team.nurse,
        patient_id=team.patient.pk,
        model=Medication,
        record_id=med.pk,
        data={"dose": "30 mg"},
    )
    changed = selectors.latest_screening(
        clinic=team.clinic, patient_id=team.patient.pk, protocol_code="iv_ketamine"
    )
    assert changed and changed.open_cautions == 1


def test_other_clinics_cannot_screen_or_read(team: Team, other_clinic: object) -> None:
    outsider = member(other_clinic, Role.PRESCRIBER)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        services.screening_run(
            access=outsider, patient_id=team.patient.pk, protocol_code="iv_ketamine"
        )
    assert (
        selectors.latest_screening(
            clinic=outsider.clinic, patient_id=team.patient.pk, protocol_code="iv_ketamine"
        )
        is None
    )


def test_settings_override_and_validation(team: Team) -> None:
    admin = member(team.clinic, Role.CLINIC_ADMIN)
    services.settings_update(access=admin, overrides={"min_failed_trials": 3})
    assert selectors.clinic_rules(team.clinic).min_failed_trials == 3
    view = selectors.history_of(patient=team.patient, today=TODAY)
    assert view.resistance.value == "not treatment-resistant"
    with pytest.raises(ValidationFailed):
        services.settings_update(access=admin, overrides={"bp_systolic_max": 5})
    with pytest.raises(PermissionDenied):
        services.settings_update(access=team.nurse, overrides={})
    assert events(team, "eligibilitysettings")
