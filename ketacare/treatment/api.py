from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.patients.services import patient_view
from ketacare.treatment import services
from ketacare.treatment.models import TreatmentSession

router = Router(tags=["sessions"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class SessionIn(Strict):
    scheduled_start: dt.datetime


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
