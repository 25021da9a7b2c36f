from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.accounts.policy import Permission
from ketacare.api.auth import access_of
from ketacare.common.http import csv_response
from ketacare.patients.services import patient_view
from ketacare.treatment import charting, rems, services
from ketacare.treatment.models import SessionAlert, TreatmentSession
from ketacare.treatment.selectors import rems_form_list, rems_form_view, session_chart_view

router = Router(tags=["sessions"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class SessionIn(Strict):
    scheduled_start: dt.datetime
    protocol_code: str = ""
    reason: str = Field("", max_length=300, description="Why, if outside the booking window")


class GivenIn(Strict):
    dosing_started_at: dt.datetime
    reason: str = Field("", max_length=300, description="Why, if a late entry")


class CancelIn(Strict):
    reason: str = Field(..., min_length=1, max_length=300)
    no_show: bool = False


class TreatmentSessionOut(Schema):
    id: uuid.UUID
    scheduled_start: dt.datetime
    status: str
    dosing_started_at: dt.datetime | None
    status_reason: str
    protocol_code: str
    ordered_dose_mg: Decimal | None
    order_checked_by_id: int | None
    order_checked_at: dt.datetime | None
    first_dose_reason: str
    supervising_prescriber_id: int | None
    supervisor_on_site_at: dt.datetime | None
    dosing_ended_at: dt.datetime | None
    discharged_at: dt.datetime | None
    signed_at: dt.datetime | None
    released_at: dt.datetime | None
    released_by_id: int | None
    release_reason: str
    version: int

    @staticmethod
    def resolve_ordered_dose_mg(obj: TreatmentSession, context: Any) -> Decimal | None:
        # Doses are chart data: staff who do not read the chart (front desk) see none.
        access = access_of(context["request"])
        return obj.ordered_dose_mg if access.can(Permission.VIEW_CHART) else None


@router.get(
    "/patients/{patient_id}/sessions",
    response=list[TreatmentSessionOut],
    summary="The patient's treatment sessions",
)
def session_list(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = patient_view(access=access_of(request), patient_id=patient_id, section="sessions")
    return TreatmentSession.objects.filter(patient=patient)


@router.post(
    "/patients/{patient_id}/sessions",
    response={201: TreatmentSessionOut},
    summary="Schedule a treatment session",
)
def session_create(request: HttpRequest, patient_id: uuid.UUID, payload: SessionIn) -> Any:
    return Status(
        201,
        services.session_schedule(
            access=access_of(request),
            patient_id=patient_id,
            scheduled_start=payload.scheduled_start,
            protocol_code=payload.protocol_code,
            reason=payload.reason,
        ),
    )


@router.post(
    "/patients/{patient_id}/sessions/{session_id}/given",
    response=TreatmentSessionOut,
    summary="Record that the session was given",
)
def session_given(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: GivenIn
) -> Any:
    return services.session_record_given(
        access=access_of(request),
        patient_id=patient_id,
        session_id=session_id,
        dosing_started_at=payload.dosing_started_at,
        reason=payload.reason,
    )


@router.post(
    "/patients/{patient_id}/sessions/{session_id}/cancel",
    response=TreatmentSessionOut,
    summary="Cancel a session, or mark it a no-show",
)
def session_cancel(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: CancelIn
) -> Any:
    return services.session_cancel(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


_session = "/patients/{patient_id}/sessions/{session_id}"


class ReadingOut(Schema):
    id: uuid.UUID
    reading_id: str
    taken_at: dt.datetime
    is_baseline: bool
    systolic: int | None
    diastolic: int | None
    heart_rate: int | None
    spo2: int | None
    respiratory_rate: int | None
    temperature_c: Decimal | None
    moaas: int | None
    source: str
    entered_in_error_at: dt.datetime | None


class VitalFindingOut(Schema):
    rule: str
    severity: str
    message: str


class SessionAlertOut(Schema):
    id: uuid.UUID
    rule: str = Field(..., description="The most severe limit the reading broke")
    severity: str
    message: str
    findings: list[VitalFindingOut] = Field(
        ..., description="Every limit broken, most severe first"
    )
    source: str
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by_id: int | None
    action: str
    note: str


class ChartOut(Schema):
    session: TreatmentSessionOut
    readings: list[ReadingOut]
    alerts: list[SessionAlertOut]
    overdue: list[dt.datetime] = Field(description="The latest missed due times (up to 10)")
    overdue_count: int = Field(description="How many due readings were missed in all")
    next_device_in_seconds: int | None


@router.get(f"{_session}", response=ChartOut, summary="A session's chart")
def session_detail(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    chart = session_chart_view(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )
    administration = chart.administration
    return {
        "session": chart.session,
        "readings": chart.readings,
        "alerts": chart.alerts,
        "overdue": [d.due_at for d in chart.overdue_latest],
        "overdue_count": len(chart.overdue),
        "next_device_in_seconds": int(chart.device_wait.remaining.total_seconds())
        if administration and administration.route == "intranasal"
        else None,
    }


class TransitionIn(Strict):
    event: str = Field(..., description="check_in, start_assessment or mark_ready")


@router.post(f"{_session}/transition", response=TreatmentSessionOut, summary="Move a session on")
def session_transition(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: TransitionIn
) -> Any:
    return services.session_transition(
        access=access_of(request), patient_id=patient_id, session_id=session_id, event=payload.event
    )


class SessionOrderIn(Strict):
    protocol_code: str
    ordered_dose_mg: Decimal = Field(..., gt=0, max_digits=6, decimal_places=1)
    first_dose_reason: str = Field(
        "", max_length=300, description="Why not the protocol's fixed first dose (56 mg)"
    )


@router.put(
    f"{_session}/order", response=TreatmentSessionOut, summary="The prescriber's dose order"
)
def session_order(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: SessionOrderIn
) -> Any:
    return services.session_order_set(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


class SupervisorIn(Strict):
    prescriber_id: int | None = Field(None, description="Omit to assign yourself")


@router.post(
    f"{_session}/order/double-check",
    response=TreatmentSessionOut,
    summary="A second clinician double-checks the session order",
)
def session_order_check(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    return services.session_order_double_check(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )


@router.post(
    f"{_session}/supervisor",
    response=TreatmentSessionOut,
    summary="Assign the supervising prescriber",
)
def session_supervisor(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: SupervisorIn
) -> Any:
    return services.supervisor_assign(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


@router.post(
    f"{_session}/attest-on-site",
    response=TreatmentSessionOut,
    summary="The supervising prescriber attests being on site",
)
def session_attest(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    return services.supervisor_attest(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )


class ReadingIn(Strict):
    reading_id: str = Field(..., min_length=1, max_length=64)
    taken_at: dt.datetime
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    temperature_c: Decimal | None = None
    moaas: int | None = None


class VitalsIn(Strict):
    readings: list[ReadingIn] = Field(..., min_length=1, max_length=500)
    source: str = Field("monitor", pattern="^(monitor|manual)$")


class StoredOut(Schema):
    reading_id: str
    id: uuid.UUID
    created: bool
    alerts: list[SessionAlertOut]


@router.post(
    f"{_session}/vitals",
    response=list[StoredOut],
    summary="Post vital signs, one or a batch of up to 500; idempotent on reading_id",
    description=(
        "A monitor's batch or one reading, stored all or nothing in one transaction. Every "
        "reading is validated (its time inside the session, each value in its plausible "
        "range) and the whole batch is refused with each error by index "
        "(`readings.3.systolic`) if any fails; nothing is stored half-way. A reading_id "
        "already stored in the session with the same time and values is answered as "
        "stored (`created: false`), so a monitor can resend after a timeout; with other "
        "values the whole batch is refused (mark the stored one entered in error instead). "
        "The same reading_id twice in a batch is stored once. Each new reading runs every "
        "alert rule against the clinic's thresholds and the session's baseline, and its "
        "alert, if any, is in the answer; each reading and each alert gets its own audit "
        "event in the same transaction. The answer lists the readings in the order sent. "
        "A batch costs about as many database round trips as one reading (the session is "
        "locked once, the clinic's audit chain once), so a monitor sending every few "
        "seconds should send what it has in one request."
    ),
)
def session_vitals(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: VitalsIn
) -> Any:
    stored = charting.vitals_record(
        access=access_of(request),
        patient_id=patient_id,
        session_id=session_id,
        readings=[
            charting.ReadingIn(
                r.reading_id,
                r.taken_at,
                r.dict(exclude={"reading_id", "taken_at"}),
            )
            for r in payload.readings
        ],
        source=payload.source,
    )
    return [
        {
            "reading_id": s.reading.reading_id,
            "id": s.reading.pk,
            "created": s.created,
            "alerts": s.alerts,
        }
        for s in stored
    ]


class SessionAlertAcknowledgeIn(Strict):
    action: str = Field(
        ...,
        description="pause_infusion (IV, while infusing), hold_device (intranasal, while "
        "dosing), give_medication, call_prescriber, continue",
    )
    note: str = Field("", max_length=500)


@router.post(
    f"{_session}/alerts/{{session_alert_id}}/acknowledge",
    response=SessionAlertOut,
    summary="Acknowledge a vital-sign alert with the action taken",
)
def session_alert_acknowledge(
    request: HttpRequest,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    session_alert_id: uuid.UUID,
    payload: SessionAlertAcknowledgeIn,
) -> Any:
    alert: SessionAlert = charting.alert_acknowledge(
        access=access_of(request),
        patient_id=patient_id,
        session_id=session_id,
        alert_id=session_alert_id,
        **payload.dict(),
    )
    return alert


class InfusionIn(Strict):
    kind: str = Field(..., pattern="^(pause|resume|rate)$")
    reason: str = Field(..., min_length=1, max_length=300)
    rate_ml_per_h: Decimal | None = None


class EventOut(Schema):
    id: uuid.UUID
    kind: str
    at: dt.datetime
    rate_ml_per_h: Decimal | None
    dose_mg: Decimal | None
    reason: str


@router.post(
    f"{_session}/infusion", response=EventOut, summary="Pause, resume or re-rate the infusion"
)
def session_infusion(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: InfusionIn
) -> Any:
    return charting.infusion_change(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


class SideEffectIn(Strict):
    effect: str
    severity: str
    sedation_scale: str = ""
    sedation_score: int | None = None
    description: str = Field("", max_length=300)


class EntryOut(Schema):
    id: uuid.UUID


@router.post(f"{_session}/side-effects", response=EntryOut, summary="Chart a side effect")
def session_side_effect(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: SideEffectIn
) -> Any:
    return charting.side_effect_record(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


class AdverseEventIn(Strict):
    description: str = Field(..., max_length=500)
    serious: bool = False
    seriousness: str = Field("", max_length=200)
    action_taken: str = Field(..., max_length=300)
    outcome: str


@router.post(f"{_session}/adverse-events", response=EntryOut, summary="Record an adverse event")
def session_adverse_event(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: AdverseEventIn
) -> Any:
    return charting.adverse_event_record(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


class StopIn(Strict):
    dose_given_mg: Decimal | None = None
    reason: str = Field("", max_length=300)


@router.post(
    f"{_session}/stop", response=TreatmentSessionOut, summary="End dosing; monitoring begins"
)
def session_stop(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: StopIn
) -> Any:
    return charting.administration_stop(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


class EnrollmentIn(Strict):
    enrolled_on: dt.date
    status: str = "enrolled"


class EnrollmentOut(Schema):
    id: uuid.UUID
    enrolled_on: dt.date
    status: str


@router.post(
    "/patients/{patient_id}/rems-enrollment",
    response={201: EnrollmentOut},
    summary="Record the patient's Spravato REMS enrollment",
)
def rems_enrollment(request: HttpRequest, patient_id: uuid.UUID, payload: EnrollmentIn) -> Any:
    return Status(
        201,
        services.rems_enroll(access=access_of(request), patient_id=patient_id, **payload.dict()),
    )


# --- pre-dose, dosing, discharge, signing --------------------------------------------


class VitalsValuesIn(Strict):
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    temperature_c: Decimal | None = None


class AssessmentIn(Strict):
    version: int = Field(..., description="The version the form was opened with")
    weight_kg: Decimal | None = Field(None, gt=0, max_digits=5, decimal_places=1)
    baseline: VitalsValuesIn | None = None
    pregnancy_test: str = ""
    fasting_confirmed: bool = False
    no_decongestant_confirmed: bool = False
    medicines_today: str = Field("", max_length=2000)
    medication_changes: str = Field("", max_length=2000)


class AssessmentOut(Schema):
    id: uuid.UUID
    version: int
    weight_id: uuid.UUID | None
    pregnancy_test: str
    fasting_confirmed: bool
    no_decongestant_confirmed: bool
    medicines_today: str
    medication_changes: str
    bp_decision: str
    bp_decision_reason: str
    bp_decided_by_id: int | None
    bp_decided_at: dt.datetime | None


@router.put(
    f"{_session}/assessment",
    response=AssessmentOut,
    summary="Save the pre-dose assessment (optimistic: send the version you opened)",
)
def session_assessment(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: AssessmentIn
) -> Any:
    data = payload.dict(exclude={"version", "weight_kg", "baseline"})
    baseline = payload.baseline.dict() if payload.baseline else None
    return services.assessment_save(
        access=access_of(request),
        patient_id=patient_id,
        session_id=session_id,
        version=payload.version,
        data=data,
        weight_kg=payload.weight_kg,
        baseline=baseline if baseline and any(v is not None for v in baseline.values()) else None,
    )


class BpDecisionIn(Strict):
    decision: str = Field(..., pattern="^(proceed|treat|defer)$")
    reason: str = Field(..., min_length=1, max_length=500)


@router.post(
    f"{_session}/bp-decision",
    response=AssessmentOut,
    summary="The prescriber's decision on a baseline above the blood-pressure gate",
)
def session_bp_decision(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: BpDecisionIn
) -> Any:
    return services.bp_decision_record(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


class StartIn(Strict):
    dose_mg: Decimal = Field(..., gt=0, max_digits=6, decimal_places=1)
    formulation: str = Field(..., max_length=120)
    lot_number: str = Field(..., max_length=60)
    expiry: dt.date
    concentration_mg_per_ml: Decimal | None = None
    pump_rate_ml_per_h: Decimal | None = None
    injection_site: str = Field("", max_length=60)
    container_ref: str = Field("", max_length=80)


class AdministrationOut(Schema):
    id: uuid.UUID
    drug: str
    route: str
    formulation: str
    concentration_mg_per_ml: Decimal | None
    lot_number: str
    expiry: dt.date
    dose_ordered_mg: Decimal
    dose_given_mg: Decimal | None
    pump_rate_ml_per_h: Decimal | None
    injection_site: str
    container_ref: str
    started_at: dt.datetime
    stopped_at: dt.datetime | None


@router.post(
    f"{_session}/start",
    response=AdministrationOut,
    summary="Start dosing (intranasal: the first device); refused with every unmet reason",
)
def session_start(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: StartIn
) -> Any:
    return charting.administration_start(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


@router.post(
    f"{_session}/devices",
    response=EventOut,
    summary="The next intranasal device; refused until 5 min after the last",
)
def session_device(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    return charting.device_give(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )


class DischargeChecklistIn(Strict):
    version: int = Field(..., description="The session version you opened")
    items: dict[str, bool] = Field(..., description="Each discharge criterion: met or not")
    stable_at: dt.datetime | None = None


@router.put(
    f"{_session}/discharge-checklist",
    response=TreatmentSessionOut,
    summary="Save the discharge checklist",
)
def session_checklist(
    request: HttpRequest,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    payload: DischargeChecklistIn,
) -> Any:
    return services.checklist_save(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


@router.post(
    f"{_session}/discharge",
    response=TreatmentSessionOut,
    summary="Discharge the patient; refused until every criterion holds",
)
def session_discharge(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    return services.session_discharge(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )


class ReleaseIn(Strict):
    reason: str = Field(..., max_length=500)


@router.post(
    f"{_session}/release",
    response=TreatmentSessionOut,
    summary="A prescriber releases the patient despite missed readings or a blood pressure "
    "not yet back, with the reason",
)
def session_release(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: ReleaseIn
) -> Any:
    return services.discharge_release(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


@router.post(f"{_session}/sign", response=TreatmentSessionOut, summary="Sign and lock the session")
def session_sign(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    return services.session_sign(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )


class AddendumIn(Strict):
    text: str = Field(..., min_length=1, max_length=5000)
    reason: str = Field(..., min_length=1, max_length=300)


class AddendumOut(Schema):
    id: uuid.UUID
    text: str
    reason: str
    entered_by_id: int
    created_at: dt.datetime


@router.get(f"{_session}/addenda", response=list[AddendumOut], summary="A session's addenda")
def session_addenda(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    return session_chart_view(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    ).addenda


@router.post(
    f"{_session}/addenda", response=AddendumOut, summary="Add an addendum to a signed session"
)
def session_addendum_add(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: AddendumIn
) -> Any:
    return services.addendum_add(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


class SessionEntryInErrorIn(Strict):
    reason: str = Field(..., min_length=1, max_length=300)


@router.post(
    f"{_session}/vitals/{{reading_id}}/entered-in-error",
    response=ReadingOut,
    summary="Mark a reading (named by its reading_id) entered in error",
)
def session_reading_in_error(
    request: HttpRequest,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    reading_id: str,
    payload: SessionEntryInErrorIn,
) -> Any:
    return charting.reading_mark_in_error(
        access=access_of(request),
        patient_id=patient_id,
        session_id=session_id,
        reading_id=reading_id,
        reason=payload.reason,
    )


def _entry_in_error_route(kind: str, noun: str, name: str) -> None:
    """POST …/{kind}/{session_entry_id}/entered-in-error for one kind of session entry."""

    @router.post(
        f"{_session}/{kind}/{{session_entry_id}}/entered-in-error",
        response=EntryOut,
        operation_id=f"ketacare_treatment_api_session_{name}_in_error",
        summary=f"Mark {noun} entered in error",
    )
    def entry_in_error(
        request: HttpRequest,
        patient_id: uuid.UUID,
        session_id: uuid.UUID,
        session_entry_id: uuid.UUID,
        payload: SessionEntryInErrorIn,
    ) -> Any:
        return charting.entry_mark_in_error(
            access=access_of(request),
            patient_id=patient_id,
            session_id=session_id,
            kind=kind,
            entry_id=session_entry_id,
            reason=payload.reason,
        )


_entry_in_error_route("side-effects", "a side effect", "side_effect")
_entry_in_error_route("adverse-events", "an adverse event", "adverse_event")


# --- REMS monitoring forms ------------------------------------------------------------


class RemsFieldOut(Schema):
    name: str
    label: str
    value: str


class RemsFormOut(Schema):
    session_id: uuid.UUID
    patient_id: uuid.UUID
    status: str
    due_on: dt.date
    submitted_on: dt.date | None
    confirmation_number: str
    missing: list[str]
    fields: list[RemsFieldOut]


def _form_out(form: Any, values: dict[str, str] | None = None) -> dict[str, Any]:
    values = values or {}
    return {
        "session_id": form.session_id,
        "patient_id": form.session.patient_id,
        "status": form.status,
        "due_on": form.due_on,
        "submitted_on": form.submitted_on,
        "confirmation_number": form.confirmation_number,
        "missing": rems.missing_fields(values) if values else [],
        "fields": [
            {"name": k, "label": rems.FIELD_LABELS[k], "value": v} for k, v in values.items()
        ],
    }


@router.get(
    f"{_session}/rems-form",
    response=RemsFormOut,
    summary="The session's REMS Patient Monitoring Form, assembled from the record",
)
def session_rems_form(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    form, values = rems_form_view(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )
    return _form_out(form, values)


@router.get(
    f"{_session}/rems-form.csv",
    summary="The session's REMS Patient Monitoring Form as CSV (field, value)",
)
def session_rems_form_csv(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    _form, values = rems_form_view(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )
    return csv_response(f"rems-form-{session_id}.csv", rems.form_rows(values))


class SubmitIn(Strict):
    submitted_on: dt.date
    confirmation_number: str = Field(..., min_length=1, max_length=60)


@router.post(
    f"{_session}/rems-form/submit",
    response=RemsFormOut,
    summary="Record the form's submission to the REMS (date, confirmation number)",
)
def session_rems_form_submit(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: SubmitIn
) -> Any:
    form = services.rems_form_submit(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )
    return _form_out(form)


class RemsListOut(Schema):
    session_id: uuid.UUID
    patient_id: uuid.UUID
    due_on: dt.date
    status: str = Field(..., description="draft, overdue or submitted")
    submitted_on: dt.date | None
    confirmation_number: str


def _rows(request: HttpRequest, include_submitted: bool, export: bool) -> list[dict[str, Any]]:
    return [
        {
            "session_id": row.form.session_id,
            "patient_id": row.form.session.patient_id,
            "due_on": row.form.due_on,
            "status": row.status,
            "submitted_on": row.form.submitted_on,
            "confirmation_number": row.form.confirmation_number,
        }
        for row in rems_form_list(
            access=access_of(request), include_submitted=include_submitted, export=export
        )
    ]


@router.get(
    "/rems-forms",
    response=list[RemsListOut],
    summary="The clinic's REMS monitoring forms, due and overdue (all with include_submitted)",
)
def rems_forms_list(request: HttpRequest, include_submitted: bool = False) -> Any:
    return _rows(request, include_submitted, export=False)


@router.get("/rems-forms.csv", summary="The clinic's REMS monitoring forms as CSV")
def rems_forms_csv(request: HttpRequest, include_submitted: bool = False) -> HttpResponse:
    rows = _rows(request, include_submitted, export=True)
    header = ["session_id", "patient_id", "due_on", "status", "submitted_on", "confirmation"]
    return csv_response(
        "rems-forms.csv", [header, *[[str(v or "") for v in row.values()] for row in rows]]
    )
