"""Protocol, dose, order, plan and clinic-calendar endpoints. Thin: services decide."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.accounts.policy import Permission
from ketacare.api.auth import access_of
from ketacare.common.errors import ValidationFailed
from ketacare.dosing import selectors, services
from ketacare.dosing.calculator import DosingError, calculate_dose
from ketacare.dosing.selectors import ceilings_in_force
from ketacare.dosing.services import DoseInput, PlanInput
from ketacare.patients.services import patient_view

router = Router(tags=["dosing"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


# --- protocols ---------------------------------------------------------------------------


class SourceOut(Schema):
    label: str
    url: str


class NoteOut(Schema):
    text: str
    source: SourceOut | None
    clinical_choice: bool


class PhaseOut(Schema):
    label: str
    weeks: int
    sessions: int
    period_weeks: int


class ProtocolOut(Schema):
    code: str
    version: int
    clinic_copy: bool
    name: str
    drug: str
    route: str
    indications: list[str]
    research_only: bool
    dose_unit: str
    default_dose: Decimal
    dose_min: Decimal
    dose_max: Decimal
    hard_max: Decimal
    hard_max_basis: str
    first_dose: Decimal | None
    dose_step: Decimal | None
    infusion_minutes: int | None
    titration_start: Decimal | None
    titration_step: Decimal | None
    titration_ceiling: Decimal | None
    schedules: dict[str, list[PhaseOut]]
    min_days_between_sessions: int
    futility_review_after: int | None
    clinic_only: bool
    home_dosing_allowed: bool
    requires_rems_enrollment: bool
    preparation: str
    device_mg: Decimal | None
    device_interval_minutes: int | None
    integration_sessions: bool
    notes: list[NoteOut]
    sources: list[SourceOut]


class ProtocolAdjustIn(Strict):
    overrides: dict[str, Any]
    reason: str = Field(..., min_length=1, max_length=300)


@router.get("/protocols", response=list[ProtocolOut], summary="The clinic's protocols")
def protocol_list(request: HttpRequest) -> Any:
    access = access_of(request)
    access.require(Permission.VIEW_CHART)
    return selectors.protocol_catalogue(clinic=access.clinic)


@router.get("/protocols/{code}", response=ProtocolOut, summary="The clinic's current version")
def protocol_get(request: HttpRequest, code: str) -> Any:
    access = access_of(request)
    access.require(Permission.VIEW_CHART)
    return selectors.protocol_definition(clinic=access.clinic, code=code)


@router.post(
    "/protocols/{code}/versions",
    response={201: ProtocolOut},
    summary="Adjust the clinic's copy of a protocol (a new version)",
)
def protocol_adjust(request: HttpRequest, code: str, payload: ProtocolAdjustIn) -> Any:
    return Status(
        201,
        services.protocol_adjust(
            access=access_of(request), code=code, overrides=payload.overrides, reason=payload.reason
        ),
    )


# --- dosing settings and calculation ------------------------------------------------------


class DosingSettingsOut(Schema):
    basis_policy: str
    bmi_threshold: Decimal
    adjusted_factor: Decimal
    syringe_precision_ml: Decimal
    pump_precision_ml_per_h: Decimal
    weight_max_age_days: int
    mg_ceilings: dict[str, Decimal] = Field(
        ..., description="The absolute ceiling in mg per protocol, defaults filled in"
    )

    @staticmethod
    def resolve_mg_ceilings(obj: Any) -> dict[str, Decimal]:
        return ceilings_in_force(obj)


class DosingSettingsIn(Strict):
    basis_policy: str | None = None
    bmi_threshold: Decimal | None = None
    adjusted_factor: Decimal | None = None
    syringe_precision_ml: Decimal | None = None
    pump_precision_ml_per_h: Decimal | None = None
    weight_max_age_days: int | None = None
    mg_ceilings: dict[str, Decimal] | None = None


@router.get("/dosing/settings", response=DosingSettingsOut, summary="The clinic's dose policy")
def dosing_settings_get(request: HttpRequest) -> Any:
    access = access_of(request)
    access.require(Permission.VIEW_CHART)
    return selectors.dosing_settings_for(access.clinic)


@router.put("/dosing/settings", response=DosingSettingsOut, summary="Change the dose policy")
def dosing_settings_put(request: HttpRequest, payload: DosingSettingsIn) -> Any:
    data = payload.dict(exclude_none=True)
    return services.dosing_settings_update(access=access_of(request), data=data)


class WarningOut(Schema):
    code: str
    message: str
    source: str


class DoseOut(Schema):
    protocol_code: str
    protocol_version: int
    dose_unit: str
    dose_requested: Decimal
    dose_mg: Decimal
    weight_used_kg: Decimal | None
    basis: str | None
    bmi: Decimal | None
    concentration_mg_per_ml: Decimal | None
    volume_ml: Decimal | None
    infusion_minutes: Decimal | None
    rate_ml_per_h: Decimal | None
    devices: int | None
    warnings: list[WarningOut]
    reasons: list[str]


class DoseIn(Strict):
    protocol_code: str
    dose: Decimal = Field(..., gt=0)
    concentration_mg_per_ml: Decimal | None = Field(None, gt=0)
    infusion_minutes: int | None = Field(None, gt=0, le=600)
    weight_basis: str | None = None


class CalculateIn(DoseIn):
    weight_kg: Decimal | None = Field(None, gt=0, le=400)
    height_cm: Decimal | None = Field(None, gt=0, le=260)
    sex_at_birth: str = "unknown"
    weight_measured_on: dt.date | None = None


def _dose_input(payload: DoseIn) -> DoseInput:
    return DoseInput(
        protocol_code=payload.protocol_code,
        dose=payload.dose,
        concentration_mg_per_ml=payload.concentration_mg_per_ml,
        infusion_minutes=payload.infusion_minutes,
        weight_basis=payload.weight_basis,
    )


@router.post(
    "/dosing/calculate",
    response=DoseOut,
    summary="Calculate a dose from given inputs (stores nothing, reads no chart)",
)
def dose_calculate(request: HttpRequest, payload: CalculateIn) -> Any:
    access = access_of(request)
    access.require(Permission.VIEW_CHART)
    protocol = selectors.protocol_definition(clinic=access.clinic, code=payload.protocol_code)
    try:
        return calculate_dose(
            protocol=protocol,
            dose=payload.dose,
            weight_kg=payload.weight_kg,
            height_cm=payload.height_cm,
            sex_at_birth=payload.sex_at_birth,
            concentration_mg_per_ml=payload.concentration_mg_per_ml,
            infusion_minutes=payload.infusion_minutes,
            weight_basis=payload.weight_basis,
            weight_measured_on=payload.weight_measured_on,
            today=access.clinic.today(),
            policy=selectors.dosing_policy(access.clinic),
        )
    except (DosingError, ValueError) as exc:
        field = exc.field if isinstance(exc, DosingError) else "weight_basis"
        raise ValidationFailed.single(field, str(exc)) from exc


# --- orders ------------------------------------------------------------------------------


class OrderOut(Schema):
    id: uuid.UUID
    plan_id: uuid.UUID | None
    protocol_code: str
    protocol_version: int
    dose_mg: Decimal
    inputs: dict[str, Any]
    result: dict[str, Any]
    warnings: list[WarningOut]
    status: str
    supersedes_id: uuid.UUID | None
    ordered_by: str = Field(..., alias="ordered_by.username")
    created_at: dt.datetime
    checked_by: str | None = Field(None, alias="checked_by.username")
    checked_at: dt.datetime | None
    check_note: str


class DoseOrderIn(DoseIn):
    plan_id: uuid.UUID | None = None


class CheckIn(Strict):
    note: str = Field("", max_length=300)


_patient = "/patients/{patient_id}"


@router.post(
    f"{_patient}/dose-orders/preview",
    response=DoseOut,
    summary="Preview a dose from the chart's latest weight (stores nothing)",
)
def dose_preview(request: HttpRequest, patient_id: uuid.UUID, payload: DoseIn) -> Any:
    return services.dose_preview(
        access=access_of(request), patient_id=patient_id, given=_dose_input(payload)
    )


@router.get(f"{_patient}/dose-orders", response=list[OrderOut], summary="The patient's orders")
def order_list(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = patient_view(access=access_of(request), patient_id=patient_id, section="plan")
    return selectors.orders_of(patient=patient)


@router.post(f"{_patient}/dose-orders", response={201: OrderOut}, summary="Order a dose")
def order_create(request: HttpRequest, patient_id: uuid.UUID, payload: DoseOrderIn) -> Any:
    return Status(
        201,
        services.order_create(
            access=access_of(request),
            patient_id=patient_id,
            given=_dose_input(payload),
            plan_id=payload.plan_id,
        ),
    )


@router.post(
    f"{_patient}/dose-orders/{{order_id}}/double-check",
    response=OrderOut,
    summary="Record a second clinician's independent check of an order",
)
def order_double_check(
    request: HttpRequest, patient_id: uuid.UUID, order_id: uuid.UUID, payload: CheckIn
) -> Any:
    return services.order_double_check(
        access=access_of(request), patient_id=patient_id, order_id=order_id, note=payload.note
    )


# --- plans -------------------------------------------------------------------------------


class PlannedSessionOut(Schema):
    id: uuid.UUID
    scheduled_start: dt.datetime
    status: str
    plan_number: int | None
    planned_dose: Decimal | None
    planned_dose_unit: str
    schedule_override_reason: str


class UnplacedOut(Schema):
    phase: str
    period_start: dt.date
    reason: str


class VersionOut(Schema):
    number: int
    snapshot: dict[str, Any]
    reason: str
    changed_by: str = Field(..., alias="changed_by.username")
    created_at: dt.datetime


class TreatmentPlanOut(Schema):
    id: uuid.UUID
    indication: str
    protocol_code: str
    protocol_version: int
    schedule: str
    start_date: dt.date
    session_time: dt.time
    start_dose: Decimal
    titration_step: Decimal | None
    status: str
    version: int
    created_at: dt.datetime


class PlanDetailOut(TreatmentPlanOut):
    sessions: list[PlannedSessionOut]
    versions: list[VersionOut]
    unplaced: list[UnplacedOut] = []


class TreatmentPlanIn(Strict):
    indication: str
    protocol_code: str
    schedule: str
    start_date: dt.date
    start_dose: Decimal
    titration_step: Decimal | None = None
    session_time: dt.time = dt.time(9, 0)


class PlanChangeIn(Strict):
    reason: str = Field(..., min_length=1, max_length=300)
    schedule: str | None = None
    session_time: dt.time | None = None
    start_dose: Decimal | None = None
    titration_step: Decimal | None = None
    status: str | None = None


class RescheduleIn(Strict):
    scheduled_start: dt.datetime
    override_reason: str = Field("", max_length=300)


def _detail(result: services.PlanResult | None, plan: Any) -> dict[str, Any]:
    data = TreatmentPlanOut.from_orm(plan).dict()
    data["sessions"] = list(selectors.plan_sessions(plan))
    data["versions"] = list(plan.versions.select_related("changed_by"))
    data["unplaced"] = list(result.unplaced) if result else []
    return data


@router.get(f"{_patient}/plans", response=list[TreatmentPlanOut], summary="The patient's plans")
def plan_list(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = patient_view(access=access_of(request), patient_id=patient_id, section="plan")
    return selectors.plans_of(patient=patient)


@router.post(
    f"{_patient}/plans", response={201: PlanDetailOut}, summary="Create a plan; book its course"
)
def plan_create(request: HttpRequest, patient_id: uuid.UUID, payload: TreatmentPlanIn) -> Any:
    result = services.plan_create(
        access=access_of(request), patient_id=patient_id, given=PlanInput(**payload.dict())
    )
    return Status(201, _detail(result, result.plan))


@router.get(f"{_patient}/plans/{{plan_id}}", response=PlanDetailOut, summary="A plan's course")
def plan_get(request: HttpRequest, patient_id: uuid.UUID, plan_id: uuid.UUID) -> Any:
    access = access_of(request)
    patient_view(access=access, patient_id=patient_id, section="plan")
    return _detail(None, selectors.plan_get(access=access, patient_id=patient_id, plan_id=plan_id))


@router.patch(
    f"{_patient}/plans/{{plan_id}}",
    response=PlanDetailOut,
    summary="Change a plan (a new version; sessions not given are re-planned)",
)
def plan_change(
    request: HttpRequest, patient_id: uuid.UUID, plan_id: uuid.UUID, payload: PlanChangeIn
) -> Any:
    changes = payload.dict(exclude_none=True)
    reason = changes.pop("reason")
    result = services.plan_change(
        access=access_of(request),
        patient_id=patient_id,
        plan_id=plan_id,
        changes=changes,
        reason=reason,
    )
    return _detail(result, result.plan)


@router.post(
    f"{_patient}/sessions/{{session_id}}/reschedule",
    response=PlannedSessionOut,
    summary="Move a session; rules it breaks are refused unless a reason is given",
)
def session_reschedule(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: RescheduleIn
) -> Any:
    return services.session_reschedule(
        access=access_of(request),
        patient_id=patient_id,
        session_id=session_id,
        scheduled_start=payload.scheduled_start,
        override_reason=payload.override_reason,
    )


# --- the clinic calendar -----------------------------------------------------------------


class ClosureSchema(Schema):
    date: dt.date
    reason: str = Field("Closed", max_length=200)


class CalendarOut(Schema):
    open_weekdays: list[int]
    closures: list[ClosureSchema]
    daily_capacity: int | None


class CalendarIn(Strict):
    open_weekdays: list[int]
    closures: list[ClosureSchema] = []
    daily_capacity: int | None = None


@router.get("/clinic/calendar", response=CalendarOut, summary="Opening days and closures")
def calendar_get(request: HttpRequest) -> Any:
    return selectors.calendar_for(access_of(request).clinic)


@router.put("/clinic/calendar", response=CalendarOut, summary="Set opening days and closures")
def calendar_put(request: HttpRequest, payload: CalendarIn) -> Any:
    return services.calendar_update(
        access=access_of(request),
        open_weekdays=payload.open_weekdays,
        closures=[c.dict() for c in payload.closures],
        daily_capacity=payload.daily_capacity,
    )
