from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.patients.services import patient_view
from ketacare.treatment import charting, services
from ketacare.treatment.models import SessionAlert, TreatmentSession
from ketacare.treatment.selectors import session_chart_view

router = Router(tags=["sessions"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class SessionIn(Strict):
    scheduled_start: dt.datetime
    protocol_code: str = ""


class GivenIn(Strict):
    dosing_started_at: dt.datetime


class CancelIn(Strict):
    reason: str = Field(..., min_length=1, max_length=300)
    no_show: bool = False


class SessionOut(Schema):
    id: uuid.UUID
    scheduled_start: dt.datetime
    status: str
    dosing_started_at: dt.datetime | None
    status_reason: str
    protocol_code: str
    ordered_dose_mg: Decimal | None
    supervising_prescriber_id: int | None
    supervisor_on_site_at: dt.datetime | None
    dosing_ended_at: dt.datetime | None
    discharged_at: dt.datetime | None
    signed_at: dt.datetime | None
    version: int


@router.get(
    "/patients/{patient_id}/sessions",
    response=list[SessionOut],
    summary="The patient's treatment sessions",
)
def session_list(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = patient_view(access=access_of(request), patient_id=patient_id, section="sessions")
    return TreatmentSession.objects.filter(patient=patient)


@router.post(
    "/patients/{patient_id}/sessions",
    response={201: SessionOut},
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
        ),
    )


@router.post(
    "/patients/{patient_id}/sessions/{session_id}/given",
    response=SessionOut,
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
    )


@router.post(
    "/patients/{patient_id}/sessions/{session_id}/cancel",
    response=SessionOut,
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


class AlertOut(Schema):
    id: uuid.UUID
    rule: str
    severity: str
    message: str
    source: str
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by_id: int | None
    action: str
    note: str


class ChartOut(Schema):
    session: SessionOut
    readings: list[ReadingOut]
    alerts: list[AlertOut]
    overdue: list[dt.datetime]
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
        "overdue": [d.due_at for d in chart.overdue],
        "next_device_in_seconds": int(chart.device_wait.remaining.total_seconds())
        if administration and administration.route == "intranasal"
        else None,
    }


class TransitionIn(Strict):
    event: str = Field(..., description="check_in, start_assessment or mark_ready")


@router.post(f"{_session}/transition", response=SessionOut, summary="Move a session on")
def session_transition(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: TransitionIn
) -> Any:
    return services.session_transition(
        access=access_of(request), patient_id=patient_id, session_id=session_id, event=payload.event
    )


class OrderIn(Strict):
    protocol_code: str
    ordered_dose_mg: Decimal = Field(..., gt=0, max_digits=6, decimal_places=1)


@router.put(f"{_session}/order", response=SessionOut, summary="The prescriber's dose order")
def session_order(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: OrderIn
) -> Any:
    return services.session_order_set(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


class SupervisorIn(Strict):
    prescriber_id: int | None = Field(None, description="Omit to assign yourself")


@router.post(
    f"{_session}/supervisor", response=SessionOut, summary="Assign the supervising prescriber"
)
def session_supervisor(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: SupervisorIn
) -> Any:
    return services.supervisor_assign(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )


@router.post(
    f"{_session}/attest-on-site",
    response=SessionOut,
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
    alerts: list[AlertOut]


@router.post(
    f"{_session}/vitals",
    response=list[StoredOut],
    summary="Post vital signs (a monitor's batch); idempotent on reading_id",
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


class AcknowledgeIn(Strict):
    action: str = Field(
        ..., description="pause_infusion, give_medication, call_prescriber, continue"
    )
    note: str = Field("", max_length=500)


@router.post(
    f"{_session}/alerts/{{session_alert_id}}/acknowledge",
    response=AlertOut,
    summary="Acknowledge a vital-sign alert with the action taken",
)
def session_alert_acknowledge(
    request: HttpRequest,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    session_alert_id: uuid.UUID,
    payload: AcknowledgeIn,
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


@router.post(f"{_session}/stop", response=SessionOut, summary="End dosing; monitoring begins")
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
