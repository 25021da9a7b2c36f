"""Writes of treatment history, screening runs, caution acceptances and settings.
Each checks the role, validates, saves and audits in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.chain import diff
from ketacare.audit.services import Action, audit_as
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.dosing.protocols import Indication
from ketacare.dosing.selectors import protocol_definition
from ketacare.eligibility import screening as core
from ketacare.eligibility.models import (
    AntidepressantTrial,
    CautionAcceptance,
    EligibilitySettings,
    Episode,
    OtherTreatment,
    ScreeningChecklist,
    ScreeningResult,
)
from ketacare.eligibility.rules import SETTINGS, EligibilityRules
from ketacare.eligibility.selectors import (
    current_checklist,
    history_of,
    open_cautions,
    screened_protocols,
)
from ketacare.patients.models import Allergy, Diagnosis, Medication, Patient, PatientRecord
from ketacare.patients.selectors import patient_get
from ketacare.patients.signals import clinical_record_changed

# Sections of the treatment history as the API and web name them.
HISTORY_MODELS: dict[str, type[PatientRecord]] = {
    "episodes": Episode,
    "trials": AntidepressantTrial,
    "treatments": OtherTreatment,
}
FIELDS: dict[type[PatientRecord], tuple[str, ...]] = {
    Episode: ("start_date", "severity", "psychotic_features", "indication", "notes"),
    AntidepressantTrial: (
        "drug",
        "drug_class",
        "max_daily_dose_mg",
        "weeks_at_dose",
        "adherence",
        "outcome",
        "in_current_episode",
    ),
    OtherTreatment: ("kind", "description", "outcome", "bilateral", "in_current_episode"),
}
H = TypeVar("H", bound=PatientRecord)


def _writable_patient(access: ClinicAccess, patient_id: uuid.UUID | str) -> Patient:
    patient = patient_get(access=access, patient_id=patient_id, for_update=True)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    return patient


def _rule_errors(record: PatientRecord) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if isinstance(record, Episode) and record.start_date > record.clinic.today():
        errors["start_date"] = ["The episode cannot start in the future."]
    if isinstance(record, AntidepressantTrial):
        if record.max_daily_dose_mg <= 0:
            errors["max_daily_dose_mg"] = ["Give a dose above zero."]
        if record.weeks_at_dose < 0:
            errors["weeks_at_dose"] = ["Weeks cannot be negative."]
    if isinstance(record, OtherTreatment) and record.bilateral and record.kind != "ect":
        errors["bilateral"] = ["Only ECT is bilateral or unilateral."]
    return errors


def _validate(record: PatientRecord) -> None:
    try:
        record.full_clean(
            exclude=["patient", "clinic", "entered_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise ValidationFailed(
            {field: list(messages) for field, messages in exc.message_dict.items()}
        ) from exc
    if errors := _rule_errors(record):
        raise ValidationFailed(errors)


def _only(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed({f: ["This field cannot be set here."] for f in unknown})
    return dict(data)


def _snapshot(record: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: getattr(record, f) for f in fields}


def _object_type(model: type[models.Model]) -> str:
    return model._meta.model_name or model.__name__.lower()


def _changed(access: ClinicAccess, patient_id: uuid.UUID) -> None:
    clinical_record_changed.send(sender=Episode, access=access, patient_id=patient_id)


@transaction.atomic
def history_add(
    *, access: ClinicAccess, patient_id: uuid.UUID, model: type[H], data: Mapping[str, Any]
) -> H:
    access.require(Permission.EDIT_TREATMENT_HISTORY)
    patient = _writable_patient(access, patient_id)
    fields = FIELDS[model]
    record = model(
        patient=patient, clinic=access.clinic, entered_by=access.user, **_only(data, fields)
    )
    _validate(record)
    record.save()
    audit_as(
        access,
        action=Action.CREATE,
        object_type=_object_type(model),
        object_id=record.pk,
        patient_id=patient.pk,
        changes=diff({}, _snapshot(record, fields)),
    )
    _changed(access, patient.pk)
    return record


def _locked(access: ClinicAccess, patient_id: uuid.UUID, model: type[H], record_id: uuid.UUID) -> H:
    _writable_patient(access, patient_id)
    try:
        record = (
            model._default_manager.select_for_update()
            .filter(clinic=access.clinic, patient_id=patient_id)
            .get(pk=record_id)
        )
    except (model.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(_object_type(model)) from exc
    if record.entered_in_error_at:
        raise ValidationFailed.single("record", "This entry is marked as entered in error.")
    return record


@transaction.atomic
def history_update(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    model: type[H],
    record_id: uuid.UUID,
    data: Mapping[str, Any],
) -> H:
    access.require(Permission.EDIT_TREATMENT_HISTORY)
    record = _locked(access, patient_id, model, record_id)
    fields = FIELDS[model]
    before = _snapshot(record, fields)
    for field, value in _only(data, fields).items():
        setattr(record, field, value)
    _validate(record)
    changes = diff(before, _snapshot(record, fields))
    if changes:
        record.save()
        audit_as(
            access,
            action=Action.UPDATE,
            object_type=_object_type(model),
            object_id=record.pk,
            patient_id=record.patient_id,
            changes=changes,
        )
        _changed(access, record.patient_id)
    return record


@transaction.atomic
def history_mark_entered_in_error(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    model: type[H],
    record_id: uuid.UUID,
    reason: str,
) -> H:
    access.require(Permission.EDIT_TREATMENT_HISTORY)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Say why this entry is in error.")
    record = _locked(access, patient_id, model, record_id)
    record.entered_in_error_at = timezone.now()
    record.entered_in_error_reason = reason.strip()[:300]
    record.save(update_fields=["entered_in_error_at", "entered_in_error_reason", "updated_at"])
    audit_as(
        access,
        action=Action.UPDATE,
        object_type=_object_type(model),
        object_id=record.pk,
        patient_id=record.patient_id,
        changes={
            "entered_in_error_at": [None, record.entered_in_error_at],
            "entered_in_error_reason": ["", record.entered_in_error_reason],
        },
    )
    _changed(access, record.patient_id)
    return record


# --- screening ---------------------------------------------------------------------------


def _checklist_save(
    access: ClinicAccess, patient: Patient, checklist: Mapping[str, Any]
) -> ScreeningChecklist:
    answers = dict(checklist.get("answers") or {})
    errors: dict[str, list[str]] = {}
    for item, answer in answers.items():
        if item not in core.Item.__members__.values() or answer not in set(core.Answer):
            errors[f"checklist.answers.{item}"] = ["Unknown item or answer (yes, no or unknown)."]
    systolic, diastolic = checklist.get("bp_systolic"), checklist.get("bp_diastolic")
    if (systolic is None) != (diastolic is None):
        errors["checklist.bp_systolic"] = ["Give both systolic and diastolic, or neither."]
    for name, value in (("bp_systolic", systolic), ("bp_diastolic", diastolic)):
        if value is not None and not 30 <= int(value) <= 300:
            errors[f"checklist.{name}"] = ["Give a reading between 30 and 300 mmHg."]
    if errors:
        raise ValidationFailed(errors)
    record = ScreeningChecklist.objects.create(
        patient=patient,
        clinic=access.clinic,
        entered_by=access.user,
        answers=answers,
        bp_systolic=systolic,
        bp_diastolic=diastolic,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="screeningchecklist",
        object_id=record.pk,
        patient_id=patient.pk,
        changes={"answers": [None, answers], "bp": [None, [systolic, diastolic]]},
    )
    return record


def _screening_input(
    patient: Patient, protocol_code: str, checklist: ScreeningChecklist | None, today: dt.date
) -> tuple[core.ScreeningInput, EligibilityRules, int]:
    protocol = protocol_definition(clinic=patient.clinic, code=protocol_code)
    past = history_of(patient=patient, today=today)
    answers = {
        core.Item(k): core.Answer(v) for k, v in (checklist.answers if checklist else {}).items()
    }
    bp = None
    if checklist and checklist.bp_systolic is not None and checklist.bp_diastolic is not None:
        bp = (checklist.bp_systolic, checklist.bp_diastolic)
    in_force = {"patient": patient, "entered_in_error_at__isnull": True, "status": "active"}
    data = core.ScreeningInput(
        protocol=protocol,
        indication=Indication(past.episode.indication) if past.episode else None,
        treatment_resistant=past.treatment_resistant,
        today=today,
        answers=answers,
        bp=bp,
        diagnoses=tuple(
            core.ChartDiagnosis(d.icd10_code, d.description, d.onset_date)
            for d in Diagnosis.objects.filter(**in_force)
        ),
        allergies=tuple(a.substance for a in Allergy.objects.filter(**in_force)),
        medications=tuple(
            core.ChartMedication(m.name, m.dose, m.frequency)
            for m in Medication.objects.filter(**in_force)
        ),
    )
    return data, past.rules, protocol.version


def _reason_json(reason: core.Reason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "kind": reason.kind.value,
        "text": reason.text,
        "detail": reason.detail,
        "acceptable": reason.acceptable,
        "sources": [{"label": s.label, "url": s.url} for s in reason.sources],
    }


def _rules_json(rules: EligibilityRules) -> dict[str, Any]:
    values = {f.name: getattr(rules, f.name) for f in dataclasses.fields(rules)}
    values["min_daily_dose_mg"] = dict(rules.min_daily_dose_mg)
    return values


def _screen(
    access: ClinicAccess,
    patient: Patient,
    protocol_code: str,
    trigger: str,
    checklist: ScreeningChecklist | None,
) -> ScreeningResult | None:
    today = patient.clinic.today()
    data, rules, version = _screening_input(patient, protocol_code, checklist, today)
    result = core.screen(data, rules)
    reasons = [_reason_json(r) for r in result.reasons]
    if trigger == ScreeningResult.Trigger.RECORD_CHANGED:
        latest = ScreeningResult.objects.filter(
            patient=patient, protocol_code=protocol_code
        ).first()
        if latest and (latest.outcome, latest.reasons) == (result.outcome.value, reasons):
            return None  # the change did not change the result: nothing new to record
    stored = ScreeningResult.objects.create(
        clinic=access.clinic,
        patient=patient,
        protocol_code=protocol_code,
        protocol_version=version,
        outcome=result.outcome.value,
        reasons=reasons,
        rules=_rules_json(rules),
        checklist=checklist,
        trigger=trigger,
        screened_at=timezone.now(),
        screened_by=access.user,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="screeningresult",
        object_id=stored.pk,
        patient_id=patient.pk,
        changes={"outcome": [None, stored.outcome]},
        details={"protocol": protocol_code, "trigger": trigger},
    )
    return stored


@transaction.atomic
def screening_run(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID | str,
    protocol_code: str,
    trigger: str = ScreeningResult.Trigger.MANUAL,
    checklist: Mapping[str, Any] | None = None,
) -> ScreeningResult:
    """Screen the patient for a protocol and store the result (a new row every time).
    With `checklist`, the clinician's new answers are saved first; without, the latest
    answers stand."""
    access.require(Permission.RUN_SCREENING)
    if trigger not in ScreeningResult.Trigger.values:
        raise ValidationFailed.single("trigger", "Unknown trigger.")
    patient = _writable_patient(access, patient_id)
    try:
        protocol_definition(clinic=access.clinic, code=protocol_code)
    except NotFound as exc:
        raise ValidationFailed.single("protocol_code", "Unknown protocol.") from exc
    saved = _checklist_save(access, patient, checklist) if checklist is not None else None
    result = _screen(access, patient, protocol_code, trigger, saved or current_checklist(patient))
    assert result is not None  # only automatic re-runs skip an unchanged result
    return result


def rescreen_after_change(*, access: ClinicAccess, patient_id: uuid.UUID) -> list[ScreeningResult]:
    """Re-run every protocol the patient was screened for, storing a result only where
    it differs from the latest. Called inside the change's transaction, as a consequence
    of it: needs no screening permission of its own."""
    codes = screened_protocols(clinic=access.clinic, patient_id=patient_id)
    if not codes:
        return []
    patient = patient_get(access=access, patient_id=patient_id)
    checklist = current_checklist(patient)
    results = (
        _screen(access, patient, code, ScreeningResult.Trigger.RECORD_CHANGED, checklist)
        for code in codes
    )
    return [r for r in results if r is not None]


def rescreen_before_session(
    *, access: ClinicAccess, patient_id: uuid.UUID, protocol_code: str
) -> ScreeningResult:
    """Screen again as a session's pre-dose assessment opens, so today's chart is what
    the dose is checked against. Called inside the session's transaction, as a
    consequence of it: needs no screening permission of its own. Always stored (trigger
    "before_session"), so the session's record shows the screening it went ahead on."""
    patient = patient_get(access=access, patient_id=patient_id)
    result = _screen(
        access,
        patient,
        protocol_code,
        ScreeningResult.Trigger.BEFORE_SESSION,
        current_checklist(patient),
    )
    assert result is not None  # only "record_changed" re-runs skip an unchanged result
    return result


@transaction.atomic
def caution_accept(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    screening_id: uuid.UUID,
    code: str,
    justification: str,
) -> CautionAcceptance:
    access.require(Permission.ACCEPT_CAUTIONS)
    patient = _writable_patient(access, patient_id)
    screening = (
        ScreeningResult.objects.select_for_update(of=("self",))
        .filter(clinic=access.clinic, patient=patient, pk=screening_id)
        .first()
    )
    if screening is None:
        raise NotFound("screening")
    reason = next((r for r in screening.reasons if r["code"] == code), None)
    if reason is None:
        raise ValidationFailed.single("code", "This screening has no such reason.")
    if reason["kind"] != core.Kind.CAUTION:
        raise ValidationFailed.single(
            "code", f"A {reason['kind']} cannot be overridden; only cautions may be accepted."
        )
    latest = ScreeningResult.objects.filter(
        patient=patient, protocol_code=screening.protocol_code
    ).order_by("-screened_at", "-created_at")[0]
    if latest.pk != screening.pk:
        raise ValidationFailed.single(
            "screening", "A newer screening exists: accept its cautions instead."
        )
    if reason not in open_cautions(screening):
        raise ValidationFailed.single("code", "This caution is already accepted.")
    if len(justification.strip()) < 10:
        raise ValidationFailed.single(
            "justification", "Write a justification (at least 10 characters)."
        )
    acceptance = CautionAcceptance.objects.create(
        clinic=access.clinic,
        patient=patient,
        screening=screening,
        protocol_code=screening.protocol_code,
        code=code,
        detail=reason["detail"][:300],
        justification=justification.strip(),
        accepted_by=access.user,
    )
    audit_as(
        access,
        action=Action.ACKNOWLEDGE,
        object_type="cautionacceptance",
        object_id=acceptance.pk,
        patient_id=patient.pk,
        changes={"justification": [None, acceptance.justification]},
        details={"screening": str(screening.pk), "code": code, "detail": acceptance.detail},
    )
    return acceptance


@transaction.atomic
def cautions_accept(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    screening_id: uuid.UUID,
    justifications: Mapping[str, str],
) -> list[CautionAcceptance]:
    """Accept several cautions of one screening at once, each with its own justification
    (caution code -> justification): one `caution_accept` per caution inside one
    transaction, so all are accepted or none. Every refusal names the caution's field,
    `cautions.<code>.<field>` (e.g. `cautions.uncontrolled_hypertension.justification`)."""
    access.require(Permission.ACCEPT_CAUTIONS)
    if not justifications:
        raise ValidationFailed.single(
            "cautions", "Write the justification of each caution to accept."
        )
    accepted: list[CautionAcceptance] = []
    errors: dict[str, list[str]] = {}
    for code, justification in justifications.items():
        try:
            accepted.append(
                caution_accept(
                    access=access,
                    patient_id=patient_id,
                    screening_id=screening_id,
                    code=code,
                    justification=justification,
                )
            )
        except ValidationFailed as exc:  # its savepoint is rolled back; check the rest
            for field, messages in exc.errors.items():
                errors.setdefault(f"cautions.{code}.{field}", []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    return accepted


# --- settings ----------------------------------------------------------------------------


def _setting_errors(overrides: Mapping[str, Any]) -> dict[str, list[str]]:
    errors = {f: ["Unknown setting."] for f in overrides if f not in SETTINGS}
    try:
        EligibilityRules().with_overrides(dict(overrides))
    except (TypeError, ValueError) as exc:
        errors["min_daily_dose_mg"] = [f"Not a table of drug: mg/day ({exc})."]
    ranges = {
        "min_failed_trials": (1, 10),
        "min_trial_weeks": (1, 52),
        "benzodiazepine_max_lorazepam_mg": (0, 40),
        "bp_systolic_max": (90, 220),
        "bp_diastolic_max": (50, 140),
        "recent_cardiovascular_days": (1, 3650),
    }
    for name, (low, high) in ranges.items():
        value = overrides.get(name)
        if value is not None and not low <= float(value) <= high:
            errors[name] = [f"Give a value from {low} to {high}."]
    return errors


@transaction.atomic
def settings_update(*, access: ClinicAccess, overrides: Mapping[str, Any]) -> EligibilitySettings:
    """Replace the clinic's overrides; a setting left out reverts to its cited default."""
    access.require(Permission.MANAGE_PROTOCOLS)
    if errors := _setting_errors(overrides):
        raise ValidationFailed(errors)
    stored, _ = EligibilitySettings.objects.select_for_update().get_or_create(clinic=access.clinic)
    before = dict(stored.overrides)
    stored.overrides = dict(overrides)
    stored.save()
    changes = diff(before, stored.overrides)
    if changes:
        audit_as(access, action=Action.UPDATE, object_type="eligibilitysettings", changes=changes)
    return stored
