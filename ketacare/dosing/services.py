"""Writes for protocols, dosing settings, the clinic calendar, dose orders and treatment
plans. Each checks the role, validates, saves and audits in one transaction, so nothing
is saved half-way. The rules themselves live in the pure core (calculator, schedule,
protocols); these functions feed it the clinic's data and store what it answers."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.audit.chain import diff, jsonable
from ketacare.audit.services import Action, audit_as
from ketacare.common.course_state import clinic_state_refresh, course_state_refresh
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.dosing import schedule, selectors
from ketacare.dosing.calculator import (
    Basis,
    BasisPolicy,
    DoseResult,
    DosingError,
    calculate_dose,
)
from ketacare.dosing.models import (
    ClinicProtocol,
    DoseOrder,
    TreatmentPlan,
    TreatmentPlanVersion,
)
from ketacare.dosing.protocols import (
    SHIPPED,
    Indication,
    ProtocolDefinition,
    ProtocolError,
    adjustable_values,
    adjusted,
)
from ketacare.eligibility.selectors import latest_screening
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.treatment.models import ClinicSessionSettings, TreatmentSession
from ketacare.treatment.rules import booking_window_problem

MG = Decimal("0.001")  # doses are stored to the microgram

# --- protocols ---------------------------------------------------------------------------


@transaction.atomic
def protocol_adjust(
    *, access: ClinicAccess, code: str, overrides: Mapping[str, Any], reason: str
) -> ProtocolDefinition:
    """Save a new version of the clinic's copy of `code` with `overrides` applied on top
    of the current version. Earlier versions are kept; plans record the version used."""
    access.require(Permission.MANAGE_PROTOCOLS)
    current = selectors.protocol_definition(clinic=access.clinic, code=code)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Say why the protocol changes.")
    previous = (
        ClinicProtocol.objects.select_for_update()
        .filter(clinic=access.clinic, code=code)
        .order_by("-version")
        .first()
    )
    merged = {**(previous.overrides if previous else {}), **overrides}
    try:
        copy = adjusted(SHIPPED[code], merged, version=current.version + 1)
    except ProtocolError as exc:
        raise ValidationFailed({f"overrides.{k}": [v] for k, v in exc.errors.items()}) from exc
    row = ClinicProtocol.objects.create(
        clinic=access.clinic,
        code=code,
        version=copy.version,
        based_on_version=SHIPPED[code].version,
        overrides=jsonable(merged),
        reason=reason.strip()[:300],
        created_by=access.user,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="clinicprotocol",
        object_id=row.pk,
        changes=diff(adjustable_values(current), adjustable_values(copy)),
        details={"code": code, "version": copy.version, "reason": row.reason},
    )
    clinic_state_refresh(access.clinic)  # the spacing of recommended sessions may change
    return copy


# --- dosing settings and the clinic calendar ----------------------------------------------

SETTING_FIELDS = (
    "basis_policy",
    "bmi_threshold",
    "adjusted_factor",
    "syringe_precision_ml",
    "pump_precision_ml_per_h",
    "weight_max_age_days",
    "mg_ceilings",
)
CEILING_LIMITS = (Decimal("1"), Decimal("1000"))  # mg: outside it, a typing error
SETTING_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "bmi_threshold": (Decimal("18.5"), Decimal("60")),
    "adjusted_factor": (Decimal("0"), Decimal("1")),
    "syringe_precision_ml": (Decimal("0.001"), Decimal("1")),
    "pump_precision_ml_per_h": (Decimal("0.001"), Decimal("1")),
    "weight_max_age_days": (Decimal("1"), Decimal("365")),
}


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed.single(field, "Give a number.") from None
    if not number.is_finite():
        raise ValidationFailed.single(field, "Give a number.")
    return number


def _setting_errors(data: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field in sorted(set(data) - set(SETTING_FIELDS)):
        errors[field] = ["This setting does not exist."]
    if "basis_policy" in data and data["basis_policy"] not in list(BasisPolicy):
        errors["basis_policy"] = [f"Choose one of {', '.join(BasisPolicy)}."]
    for field, (low, high) in SETTING_LIMITS.items():
        if field not in data:
            continue
        try:
            number = _decimal(data[field], field)
        except ValidationFailed as exc:
            errors |= exc.errors
            continue
        if not low <= number <= high:
            errors[field] = [f"Give a value from {low} to {high}."]
    return errors | _ceiling_errors(data.get("mg_ceilings", {}))


def _ceiling_errors(ceilings: Any) -> dict[str, list[str]]:
    """Each protocol's absolute mg ceiling: a known protocol, a number in range."""
    if not isinstance(ceilings, Mapping):
        return {"mg_ceilings": ["Give a ceiling in mg per protocol."]}
    errors: dict[str, list[str]] = {}
    low, high = CEILING_LIMITS
    for code, value in ceilings.items():
        field = f"mg_ceilings.{code}"
        if code not in SHIPPED:
            errors[field] = ["Not a protocol of this clinic."]
            continue
        try:
            number = _decimal(value, field)
        except ValidationFailed as exc:
            errors |= exc.errors
            continue
        if not low <= number <= high:
            errors[field] = [f"Give a value from {low} to {high} mg."]
    return errors


@transaction.atomic
def dosing_settings_update(*, access: ClinicAccess, data: Mapping[str, Any]) -> Any:
    access.require(Permission.MANAGE_PROTOCOLS)
    if errors := _setting_errors(data):
        raise ValidationFailed(errors)
    found = selectors.dosing_settings_for(access.clinic)
    found.refresh_from_db()  # decimals as stored, so unchanged values diff as unchanged
    before = {f: getattr(found, f) for f in SETTING_FIELDS}
    for field, value in data.items():
        if field == "mg_ceilings":
            value = {**found.mg_ceilings, **{k: str(_decimal(v, k)) for k, v in value.items()}}
        elif field != "basis_policy":
            value = _decimal(value, field)
        setattr(found, field, value)
    found.weight_max_age_days = int(found.weight_max_age_days)
    found.save()
    found.refresh_from_db()
    changes = diff(before, {f: getattr(found, f) for f in SETTING_FIELDS})
    if changes:
        audit_as(
            access,
            action=Action.UPDATE,
            object_type="clinicdosingsettings",
            object_id=access.clinic.pk,
            changes=changes,
        )
    return found


def _closure_list(closures: Any) -> list[dict[str, str]]:
    if not isinstance(closures, list):
        raise ValidationFailed.single("closures", "Give a list of dates with reasons.")
    cleaned = []
    for n, item in enumerate(closures):
        try:
            day = dt.date.fromisoformat(str(item["date"]))
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed.single(f"closures.{n}.date", "Give a date.") from None
        reason = str(item.get("reason", "")).strip()[:200]
        cleaned.append({"date": day.isoformat(), "reason": reason or "Closed"})
    return sorted(cleaned, key=lambda c: c["date"])


@transaction.atomic
def calendar_update(
    *,
    access: ClinicAccess,
    open_weekdays: list[int],
    closures: list[dict[str, str]],
    daily_capacity: int | None,
) -> Any:
    access.require(Permission.MANAGE_CLINIC_CALENDAR)
    errors: dict[str, list[str]] = {}
    if not open_weekdays or any(
        isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in open_weekdays
    ):
        errors["open_weekdays"] = ["Give at least one weekday, 0 (Monday) to 6 (Sunday)."]
    if daily_capacity is not None and daily_capacity < 1:
        errors["daily_capacity"] = ["Give at least 1, or leave empty for no limit."]
    if errors:
        raise ValidationFailed(errors)
    cleaned = _closure_list(closures)
    found = selectors.calendar_for(access.clinic)
    before = {
        "open_weekdays": found.open_weekdays,
        "closures": found.closures,
        "daily_capacity": found.daily_capacity,
    }
    found.open_weekdays = sorted(set(open_weekdays))
    found.closures = cleaned
    found.daily_capacity = daily_capacity
    found.save()
    after = {
        "open_weekdays": found.open_weekdays,
        "closures": found.closures,
        "daily_capacity": found.daily_capacity,
    }
    if changes := diff(before, after):
        audit_as(
            access,
            action=Action.UPDATE,
            object_type="cliniccalendar",
            object_id=access.clinic.pk,
            changes=changes,
        )
    return found


# --- dose calculation and orders ----------------------------------------------------------


@dataclass(frozen=True)
class DoseInput:
    protocol_code: str
    dose: Decimal
    concentration_mg_per_ml: Decimal | None = None
    infusion_minutes: int | None = None
    weight_basis: str | None = None


def _calculate(
    clinic: Any, patient: Patient, given: DoseInput, *, in_mg: bool = False
) -> DoseResult:
    protocol = selectors.protocol_definition(clinic=clinic, code=given.protocol_code)
    weight = selectors.latest_weight(patient=patient)
    height = (weight and weight.height_cm) or selectors.latest_height(patient=patient)
    if given.weight_basis is not None and given.weight_basis not in list(Basis):
        raise ValidationFailed.single("weight_basis", f"Choose one of {', '.join(Basis)}.")
    try:
        return calculate_dose(
            protocol=protocol,
            dose=given.dose,
            weight_kg=weight.weight_kg if weight else None,
            height_cm=height,
            sex_at_birth=patient.sex_at_birth,
            concentration_mg_per_ml=given.concentration_mg_per_ml,
            infusion_minutes=given.infusion_minutes,
            weight_basis=given.weight_basis,
            weight_measured_on=weight.measured_on if weight else None,
            today=clinic.today(),
            policy=selectors.dosing_policy(clinic),
            dose_in_mg=in_mg,
            require_preparation=not in_mg,
        )
    except DosingError as exc:
        field = "ordered_dose_mg" if in_mg and exc.field == "dose" else exc.field
        raise ValidationFailed.single(field, exc.reason) from exc


def session_dose_check(
    *, clinic: Any, patient: Patient, protocol_code: str, dose_mg: Decimal
) -> DoseResult:
    """A one-session order in mg through `calculate_dose`: the protocol's cap (in mg/kg
    of the weight used, for a weight-based protocol), its dose step and the clinic's
    absolute ceiling. Refused with ValidationFailed naming the field."""
    return _calculate(clinic, patient, DoseInput(protocol_code, dose_mg), in_mg=True)


def dose_refusal(*, clinic: Any, patient: Patient, protocol_code: str, dose_mg: Decimal) -> str:
    """Why `dose_mg` must not be given today, or "" (asked again as dosing starts, so a
    changed ceiling or weight is never bypassed by an older order)."""
    try:
        session_dose_check(
            clinic=clinic, patient=patient, protocol_code=protocol_code, dose_mg=dose_mg
        )
    except ValidationFailed as exc:
        return " ".join(m for msgs in exc.errors.values() for m in msgs)
    return ""


def result_json(result: DoseResult) -> dict[str, Any]:
    data: dict[str, Any] = jsonable(asdict(result))
    data["warnings"] = [asdict(w) for w in result.warnings]
    return data


@transaction.atomic
def dose_preview(*, access: ClinicAccess, patient_id: uuid.UUID, given: DoseInput) -> DoseResult:
    """Calculate a dose from the chart's latest weight without ordering it (a chart read,
    audited as a view)."""
    access.require(Permission.VIEW_CHART)
    patient = patient_get(access=access, patient_id=patient_id)
    result = _calculate(access.clinic, patient, given)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        details={"section": "dose_preview", "protocol": given.protocol_code},
    )
    return result


@transaction.atomic
def order_create(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    given: DoseInput,
    plan_id: uuid.UUID | None = None,
) -> DoseOrder:
    """A prescriber's dose order. It supersedes the patient's active order; the
    calculation's inputs, result and warnings are stored with it."""
    access.require(Permission.ORDER_DOSES)
    patient = patient_get(access=access, patient_id=patient_id, for_update=True)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    plan = (
        selectors.plan_get(access=access, patient_id=patient.pk, plan_id=plan_id)
        if plan_id
        else None
    )
    result = _calculate(access.clinic, patient, given)
    previous = (
        DoseOrder.objects.select_for_update(of=("self",))
        .filter(patient=patient, status=DoseOrder.Status.ACTIVE)
        .first()
    )
    if previous:
        previous.status = DoseOrder.Status.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])
    weight = selectors.latest_weight(patient=patient)
    order = DoseOrder.objects.create(
        clinic=access.clinic,
        patient=patient,
        plan=plan,
        protocol_code=result.protocol_code,
        protocol_version=result.protocol_version,
        inputs=jsonable(
            {
                **asdict(given),
                "weight_kg": weight.weight_kg if weight else None,
                "height_cm": (weight and weight.height_cm)
                or selectors.latest_height(patient=patient),
                "weight_measured_on": weight.measured_on if weight else None,
                "sex_at_birth": patient.sex_at_birth,
                "policy": asdict(selectors.dosing_policy(access.clinic)),
            }
        ),
        result=result_json(result),
        warnings=[asdict(w) for w in result.warnings],
        dose_mg=result.dose_mg,
        supersedes=previous,
        ordered_by=access.user,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="doseorder",
        object_id=order.pk,
        patient_id=patient.pk,
        changes={
            "dose_mg": [previous.dose_mg if previous else None, result.dose_mg.quantize(MG)],
            "protocol": [previous.protocol_code if previous else None, result.protocol_code],
        },
        details={
            "supersedes": str(previous.pk) if previous else None,
            "warnings": [w.code for w in result.warnings],
        },
    )
    return order


@transaction.atomic
def order_double_check(
    *, access: ClinicAccess, patient_id: uuid.UUID, order_id: uuid.UUID, note: str = ""
) -> DoseOrder:
    """A second clinician's independent check of an active order (never its prescriber)."""
    access.require(Permission.DOUBLE_CHECK_DOSES)
    order = selectors.order_get(
        access=access, patient_id=patient_id, order_id=order_id, for_update=True
    )
    if order.ordered_by_id == access.user.pk:
        raise ValidationFailed.single(
            "checked_by", "The double-check must be done by someone other than the prescriber."
        )
    if order.checked_at is not None:
        raise ValidationFailed.single("checked_by", "This order is already double-checked.")
    if order.status != DoseOrder.Status.ACTIVE:
        raise ValidationFailed.single("status", "This order has been superseded.")
    order.checked_by, order.checked_at = access.user, timezone.now()
    order.check_note = note.strip()[:300]
    order.save(update_fields=["checked_by", "checked_at", "check_note", "updated_at"])
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="doseorder",
        object_id=order.pk,
        patient_id=order.patient_id,
        changes={
            "checked_by": [None, access.user.get_username()],
            "checked_at": [None, order.checked_at],
        },
    )
    return order


# --- treatment plans ---------------------------------------------------------------------


def check_latest_screening(
    *, access: ClinicAccess, patient: Patient, protocol: ProtocolDefinition
) -> None:
    """A course is planned only for a patient whose latest screening for this protocol
    allows it: screened, not "not eligible", and every caution accepted by a prescriber."""
    latest = latest_screening(
        clinic=access.clinic, patient_id=patient.pk, protocol_code=protocol.code
    )
    if latest is None:
        problem = f"Screen the patient for {protocol.name} before planning a course."
    elif latest.outcome == "not_eligible":
        problem = (
            f"The latest screening for {protocol.name} found the patient not eligible: "
            "no course can be planned."
        )
    elif latest.open_cautions:
        problem = (
            f"The latest screening for {protocol.name} has {latest.open_cautions} caution(s) "
            "not yet accepted by a prescriber."
        )
    else:
        return
    raise ValidationFailed.single("protocol_code", problem)


@dataclass(frozen=True)
class PlanInput:
    indication: str
    protocol_code: str
    schedule: str
    start_date: dt.date
    start_dose: Decimal
    titration_step: Decimal | None = None
    session_time: dt.time = dt.time(9, 0)


PLAN_FIELDS = (
    "indication",
    "protocol_code",
    "schedule",
    "start_date",
    "session_time",
    "start_dose",
    "titration_step",
    "status",
)


def _plan_errors(protocol: ProtocolDefinition, given: PlanInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if given.indication not in list(Indication):
        errors["indication"] = ["Choose a listed indication."]
    elif Indication(given.indication) not in protocol.indications:
        errors["indication"] = [f"{protocol.name} is not a protocol for this indication."]
    if given.schedule not in protocol.schedules:
        errors["schedule"] = [f"Choose one of {', '.join(protocol.schedules)}."]
    unit = "mg/kg" if protocol.weight_based else "mg"
    if given.start_dose <= 0 or given.start_dose > protocol.hard_max:
        errors["start_dose"] = [
            f"Give a dose above 0 and at most {protocol.hard_max} {unit}. {protocol.hard_max_basis}"
        ]
    elif protocol.dose_step and given.start_dose % protocol.dose_step:
        errors["start_dose"] = [f"The dose must be a multiple of {protocol.dose_step} mg."]
    if given.titration_step is not None:
        if given.titration_step <= 0:
            errors["titration_step"] = ["Give a step above 0, or none."]
        elif protocol.dose_step and given.titration_step % protocol.dose_step:
            errors["titration_step"] = [f"The step must be a multiple of {protocol.dose_step} mg."]
    return errors


def _session_rules(access: ClinicAccess) -> Any:
    """The clinic's session rules (the booking window), or the cited defaults."""
    found = ClinicSessionSettings.objects.filter(clinic=access.clinic).first()
    return (found or ClinicSessionSettings()).rules()


def _session_start(clinic: Clinic, day: dt.date, at: dt.time) -> dt.datetime:
    """`at` on `day` at the clinic (not in the zone of the process that books it)."""
    return dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(clinic.time_zone))


@dataclass(frozen=True)
class PlanResult:
    plan: TreatmentPlan
    sessions: list[TreatmentSession]
    unplaced: tuple[schedule.Unplaced, ...]


def _book(
    access: ClinicAccess,
    plan: TreatmentPlan,
    protocol: ProtocolDefinition,
    *,
    skip: int = 0,
    not_before: dt.date | None = None,
) -> tuple[list[TreatmentSession], tuple[schedule.Unplaced, ...]]:
    """Generate the plan's course and book sessions from number skip+1 onward."""
    phases = protocol.schedules[plan.schedule]
    doses = schedule.planned_doses(
        protocol, schedule.course_length(phases), plan.start_dose, plan.titration_step
    )
    course = schedule.generate(
        phases=phases,
        start=plan.start_date,
        calendar=selectors.calendar_rules(access.clinic),
        min_days_between=protocol.min_days_between_sessions,
        dose_for=doses,
    )
    booked = []
    for planned in course.sessions[skip:]:
        if not_before and planned.day < not_before:
            continue
        session = TreatmentSession.objects.create(
            clinic=access.clinic,
            patient=plan.patient,
            scheduled_start=_session_start(access.clinic, planned.day, plan.session_time),
            created_by=access.user,
            protocol_code=plan.protocol_code,  # so the plan's standing order applies
            plan=plan,
            plan_number=planned.number,
            planned_dose=planned.dose,
            planned_dose_unit=protocol.dose_unit.value,
        )
        audit_as(
            access,
            action=Action.CREATE,
            object_type="treatmentsession",
            object_id=session.pk,
            patient_id=plan.patient_id,
            changes={
                "scheduled_start": [None, session.scheduled_start],
                "protocol_code": [None, session.protocol_code],
            },
            details={"plan": str(plan.pk), "number": planned.number, "dose": planned.dose},
        )
        booked.append(session)
    return booked, course.unplaced


def _snapshot(plan: TreatmentPlan) -> dict[str, Any]:
    values = {f: getattr(plan, f) for f in (*PLAN_FIELDS, "protocol_version")}
    values["session_time"] = plan.session_time.strftime("%H:%M")  # jsonable has no times
    return dict(jsonable(values))


def _record_version(access: ClinicAccess, plan: TreatmentPlan, reason: str) -> None:
    TreatmentPlanVersion.objects.create(
        plan=plan,
        clinic=access.clinic,
        number=plan.version,
        snapshot=_snapshot(plan),
        reason=reason,
        changed_by=access.user,
    )


@transaction.atomic
def plan_create(*, access: ClinicAccess, patient_id: uuid.UUID, given: PlanInput) -> PlanResult:
    """A prescriber's treatment plan, with its sessions booked on the clinic's calendar."""
    access.require(Permission.ORDER_DOSES)
    patient = patient_get(access=access, patient_id=patient_id, for_update=True)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    try:
        protocol = selectors.protocol_definition(clinic=access.clinic, code=given.protocol_code)
    except LookupError:
        raise ValidationFailed.single("protocol_code", "Choose a listed protocol.") from None
    errors = _plan_errors(protocol, given)
    if given.start_date < access.clinic.today():
        errors["start_date"] = ["A course cannot start in the past."]
    elif window := booking_window_problem(
        _session_start(access.clinic, given.start_date, given.session_time),
        timezone.now(),
        _session_rules(access),
    ):
        errors["start_date"] = [window[0].upper() + window[1:] + "."]
    if errors:
        raise ValidationFailed(errors)
    check_latest_screening(access=access, patient=patient, protocol=protocol)
    plan = TreatmentPlan.objects.create(
        clinic=access.clinic,
        patient=patient,
        protocol_version=protocol.version,
        created_by=access.user,
        **asdict(given),
    )
    _record_version(access, plan, "Plan created")
    audit_as(
        access,
        action=Action.CREATE,
        object_type="treatmentplan",
        object_id=plan.pk,
        patient_id=patient.pk,
        changes=diff({}, _snapshot(plan)),
    )
    sessions, unplaced = _book(access, plan, protocol)
    course_state_refresh(access.clinic, patient.pk)
    return PlanResult(plan, sessions, unplaced)


CHANGEABLE = ("schedule", "session_time", "start_dose", "titration_step", "status")


def _cancel_remaining(access: ClinicAccess, plan: TreatmentPlan, reason: str) -> int:
    remaining = TreatmentSession.objects.select_for_update().filter(
        plan=plan, status=TreatmentSession.Status.SCHEDULED
    )
    count = 0
    for session in remaining:
        session.status = TreatmentSession.Status.CANCELLED
        session.status_reason = reason[:300]
        session.save(update_fields=["status", "status_reason", "updated_at"])
        audit_as(
            access,
            action=Action.UPDATE,
            object_type="treatmentsession",
            object_id=session.pk,
            patient_id=plan.patient_id,
            changes={"status": ["scheduled", session.status]},
            details={"reason": session.status_reason},
        )
        count += 1
    return count


@transaction.atomic
def plan_change(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    plan_id: uuid.UUID,
    changes: Mapping[str, Any],
    reason: str,
) -> PlanResult:
    """A new version of the plan. Sessions not yet given are re-planned from it (or
    cancelled, when the plan is stopped); given sessions are kept as they were."""
    access.require(Permission.ORDER_DOSES)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Say why the plan changes.")
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise ValidationFailed({f: ["This cannot be changed; make a new plan."] for f in unknown})
    plan = selectors.plan_get(
        access=access, patient_id=patient_id, plan_id=plan_id, for_update=True
    )
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationFailed.single("status", "This plan is stopped.")
    if changes.get("status", plan.status) not in TreatmentPlan.Status.values:
        raise ValidationFailed.single("status", "Choose active or stopped.")
    before = _snapshot(plan)
    protocol = selectors.protocol_definition(clinic=access.clinic, code=plan.protocol_code)
    for field, value in changes.items():
        setattr(plan, field, _plan_value(field, value))
    given = PlanInput(
        indication=plan.indication,
        protocol_code=plan.protocol_code,
        schedule=plan.schedule,
        start_date=plan.start_date,
        start_dose=Decimal(plan.start_dose),
        titration_step=Decimal(plan.titration_step) if plan.titration_step is not None else None,
    )
    if errors := _plan_errors(protocol, given):
        raise ValidationFailed(errors)
    change_set = diff(before, _snapshot(plan))
    if not change_set:
        return PlanResult(plan, list(selectors.plan_sessions(plan)), ())
    plan.version += 1
    plan.protocol_version = protocol.version
    plan.save()
    _record_version(access, plan, reason.strip()[:300])
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="treatmentplan",
        object_id=plan.pk,
        patient_id=plan.patient_id,
        changes=change_set,
        details={"version": plan.version, "reason": reason.strip()[:300]},
    )
    note = f"Plan changed to version {plan.version}"
    _cancel_remaining(access, plan, note)
    course_state_refresh(access.clinic, plan.patient_id)
    if plan.status == TreatmentPlan.Status.STOPPED:
        return PlanResult(plan, [], ())
    done = plan_sessions_done(plan)
    sessions, unplaced = _book(access, plan, protocol, skip=done, not_before=access.clinic.today())
    return PlanResult(plan, sessions, unplaced)


def _plan_value(field: str, value: Any) -> Any:
    """Doses as the database stores them (3 places), so an unchanged dose is no change."""
    if field in ("start_dose", "titration_step") and value is not None:
        return _decimal(value, field).quantize(Decimal("0.001"))
    return value


def plan_sessions_done(plan: TreatmentPlan) -> int:
    """How many of the plan's scheduled sessions are behind it (given or missed). A session
    joined to the plan outside its schedule (a booster) has no number and uses none up."""
    return TreatmentSession.objects.filter(
        plan=plan,
        plan_number__isnull=False,
        status__in=(*TreatmentSession.GIVEN_STATUSES, TreatmentSession.Status.NO_SHOW),
    ).count()


def reschedule_violations(
    access: ClinicAccess, session: TreatmentSession, day: dt.date
) -> tuple[schedule.Violation, ...]:
    """Every rule a move of `session` to `day` breaks: the clinic's calendar, and for a
    plan's session the protocol's spacing from the plan's other sessions."""
    calendar = selectors.calendar_rules(access.clinic, exclude_session=session.pk)
    others: list[dt.date] = []
    min_days, source = 1, ""
    if session.plan_id:
        assert session.plan is not None
        protocol = selectors.protocol_definition(
            clinic=access.clinic, code=session.plan.protocol_code
        )
        min_days = protocol.min_days_between_sessions
        source = f" ({protocol.name})"
        others = [
            access.clinic.date_of(s.scheduled_start)
            for s in TreatmentSession.objects.filter(
                plan=session.plan_id, status__in=selectors.BOOKED
            ).exclude(pk=session.pk)
        ]
    return schedule.day_violations(
        day, calendar=calendar, other_days=others, min_days_between=min_days, rule_source=source
    )


@transaction.atomic
def _require_prescriber_for_spacing(
    access: ClinicAccess, violations: tuple[schedule.Violation, ...]
) -> None:
    """Sessions closer than the protocol allows mean doses closer together: a clinical
    decision, so only someone who orders doses may proceed against the spacing rule (the
    front desk may still book on a closed day or over capacity, with a reason)."""
    spacing = [v.reason for v in violations if v.code == "spacing"]
    if spacing and not access.can(Permission.ORDER_DOSES):
        raise ValidationFailed(
            {
                "override_reason": [
                    *spacing,
                    "Only a prescriber can move a session closer to another than the "
                    "protocol allows. Choose another date, or ask a prescriber.",
                ]
            }
        )


def session_reschedule(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    scheduled_start: dt.datetime,
    override_reason: str = "",
) -> TreatmentSession:
    """Move a scheduled session. A date that breaks a rule is refused with each reason,
    unless the user proceeds with a reason of their own, which is recorded."""
    access.require(Permission.SCHEDULE_SESSIONS)
    session = (
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("plan")
        .filter(clinic=access.clinic, patient_id=patient_id, pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound("session")
    if session.status != TreatmentSession.Status.SCHEDULED:
        raise ValidationFailed.single("status", "Only a scheduled session can be moved.")
    violations = reschedule_violations(access, session, access.clinic.date_of(scheduled_start))
    window = booking_window_problem(scheduled_start, timezone.now(), _session_rules(access))
    if window:
        violations += (schedule.Violation("booking_window", window[0].upper() + window[1:]),)
    if violations and not override_reason.strip():
        raise ValidationFailed(
            {
                "scheduled_start": [v.reason for v in violations]
                + ["Choose another date, or give a reason to proceed."]
            }
        )
    _require_prescriber_for_spacing(access, violations)
    before = session.scheduled_start
    session.scheduled_start = scheduled_start
    session.schedule_override_reason = override_reason.strip()[:300] if violations else ""
    session.save(update_fields=["scheduled_start", "schedule_override_reason", "updated_at"])
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="treatmentsession",
        object_id=session.pk,
        patient_id=session.patient_id,
        changes={"scheduled_start": [before, scheduled_start]},
        details={
            "violations": [v.code for v in violations],
            "override_reason": session.schedule_override_reason,
        },
    )
    return session
