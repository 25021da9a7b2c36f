"""Measurement endpoints: stateless scoring, recorded responses, self-report links,
safety alerts and measurement plans."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.common.errors import ValidationFailed
from ketacare.measures import INSTRUMENTS, ScoringError, get_instrument, services
from ketacare.measures.models import MeasurementPlan, QuestionnaireResponse, SafetyAlert
from ketacare.measures.selectors import effective_plan
from ketacare.patients.services import patient_view

router = Router(tags=["measures"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class AnswersIn(Strict):
    answers: list[int | bool | None]


class ScoreFindingOut(Schema):
    flag: str
    item: int | None
    severity: str
    reason: str


class ScoreOut(Schema):
    instrument: str
    version: str
    total: int | None
    severity: str | None
    severity_label: str | None
    flags: list[str]
    subscores: dict[str, int]
    risk: str | None
    provisional_diagnosis: bool | None
    findings: list[ScoreFindingOut]
    reasons: list[str]


class InstrumentOut(Schema):
    code: str
    name: str
    version: str
    respondent: str
    items: int
    licence: str
    licence_note: str
    full_wording: bool


@router.get("/measures/instruments", response=list[InstrumentOut], summary="The rating scales")
def instrument_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": i.code,
            "name": i.name,
            "version": i.version,
            "respondent": i.respondent,
            "items": len(i.items),
            "licence": i.licence,
            "licence_note": i.licence_note,
            "full_wording": i.full_wording,
        }
        for i in INSTRUMENTS.values()
    ]


@router.post("/measures/{code}/score", response=ScoreOut, summary="Score answers (stores nothing)")
def score_answers(request: HttpRequest, code: str, payload: AnswersIn) -> Any:
    access = access_of(request)  # any member of a clinic; the clinic's thresholds apply
    try:
        get_instrument(code)
    except ScoringError as exc:
        raise ValidationFailed.single("code", str(exc)) from exc
    return services.score_for_clinic(access.clinic, code, payload.answers)


class ResponseIn(Strict):
    instrument: str
    answers: list[int | bool | None]
    context: str
    answered_at: dt.datetime | None = None
    offset_hours: int | None = Field(None, ge=0, le=24 * 60)
    session_id: uuid.UUID | None = None
    supersedes_id: uuid.UUID | None = None
    correction_reason: str = ""


class SafetyAlertOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    instrument: str
    item_number: int | None
    flag: str
    severity: str
    reason: str
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    action_taken: str
    note: str
    escalated_at: dt.datetime | None

    @staticmethod
    def resolve_acknowledged_by(obj: SafetyAlert) -> str | None:
        return obj.acknowledged_by.get_username() if obj.acknowledged_by else None


class ResponseOut(Schema):
    id: uuid.UUID
    instrument: str
    instrument_version: str
    answers: list[Any]
    respondent: str
    context: str
    offset_hours: int | None
    session_id: uuid.UUID | None
    answered_at: dt.datetime
    supersedes_id: uuid.UUID | None
    correction_reason: str
    total: int | None
    severity: str
    flags: list[str]
    subscores: dict[str, int]
    risk: str
    current: bool

    @staticmethod
    def resolve_total(obj: QuestionnaireResponse) -> int | None:
        return obj.score.total

    @staticmethod
    def resolve_severity(obj: QuestionnaireResponse) -> str:
        return obj.score.severity

    @staticmethod
    def resolve_flags(obj: QuestionnaireResponse) -> list[str]:
        return list(obj.score.flags)

    @staticmethod
    def resolve_subscores(obj: QuestionnaireResponse) -> dict[str, int]:
        return dict(obj.score.subscores)

    @staticmethod
    def resolve_risk(obj: QuestionnaireResponse) -> str:
        return obj.score.risk

    @staticmethod
    def resolve_current(obj: QuestionnaireResponse) -> bool:
        return obj.score.is_current


class RecordedOut(Schema):
    response: ResponseOut
    alerts: list[SafetyAlertOut]


@router.get(
    "/patients/{patient_id}/responses",
    response=list[ResponseOut],
    summary="The patient's questionnaire responses and scores",
)
def response_list(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = patient_view(access=access_of(request), patient_id=patient_id, section="measures")
    return (
        QuestionnaireResponse.objects.filter(patient=patient)
        .select_related("score")
        .order_by("-answered_at")
    )


@router.post(
    "/patients/{patient_id}/responses",
    response={201: RecordedOut},
    summary="Record a rating scale (a correction supersedes, never edits)",
)
def response_create(request: HttpRequest, patient_id: uuid.UUID, payload: ResponseIn) -> Any:
    recorded = services.response_record(
        access=access_of(request), patient_id=patient_id, **payload.dict()
    )
    return Status(201, {"response": recorded.response, "alerts": recorded.alerts})


class LinkIn(Strict):
    instruments: list[str] = Field(..., min_length=1)
    context: str = "between_sessions"
    channel: str = "email"
    session_id: uuid.UUID | None = None
    offset_hours: int | None = Field(None, ge=0, le=24 * 60)


class LinkOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    instruments: list[str]
    context: str
    channel: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    completed_at: dt.datetime | None
    url: str | None = None


@router.post(
    "/patients/{patient_id}/links",
    response={201: LinkOut},
    summary="Send the patient a self-report link",
)
def link_create(request: HttpRequest, patient_id: uuid.UUID, payload: LinkIn) -> Any:
    link = services.link_create(access=access_of(request), patient_id=patient_id, **payload.dict())
    out = LinkOut.from_orm(link).dict()
    return Status(201, {**out, "url": services.link_url(link)})


@router.post("/links/{link_id}/revoke", response=LinkOut, summary="Revoke a self-report link")
def link_revoke(request: HttpRequest, link_id: uuid.UUID) -> Any:
    return services.link_revoke(access=access_of(request), link_id=link_id)


@router.get("/alerts", response=list[SafetyAlertOut], summary="The clinic's open safety alerts")
def alert_list(request: HttpRequest) -> Any:
    return services.alert_list_view(access=access_of(request))


class SafetyAlertAcknowledgeIn(Strict):
    action_taken: str
    note: str = ""


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response=SafetyAlertOut,
    summary="Acknowledge a safety alert with the action taken",
)
def alert_acknowledge(
    request: HttpRequest, alert_id: uuid.UUID, payload: SafetyAlertAcknowledgeIn
) -> Any:
    return services.alert_acknowledge(
        access=access_of(request), alert_id=alert_id, **payload.dict()
    )


class RuleSchema(Strict):
    kind: str
    instruments: list[str]
    interval_days: int | None = Field(None, ge=1, le=365)
    hours_after: int | None = Field(None, ge=0, le=24 * 30)
    dates: list[dt.date] = []


class MeasurementPlanIn(Strict):
    starts_on: dt.date
    rules: list[RuleSchema]


class MeasurementPlanOut(Schema):
    starts_on: dt.date
    is_clinic_default: bool
    rules: list[RuleSchema]


def _plan_out(plan: MeasurementPlan | None, *, default: bool) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "starts_on": plan.starts_on,
        "is_clinic_default": default,
        "rules": [
            {
                "kind": r.kind,
                "instruments": r.instruments,
                "interval_days": r.interval_days,
                "hours_after": r.hours_after,
                "dates": r.dates,
            }
            for r in plan.rules.all()
        ],
    }


@router.get(
    "/patients/{patient_id}/measurement-plan",
    response={200: MeasurementPlanOut, 204: None},
    summary="The patient's measurement plan (or the clinic default that applies)",
)
def plan_read(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    access = access_of(request)
    patient = patient_view(access=access, patient_id=patient_id, section="measures")
    plan, is_default = effective_plan(clinic=access.clinic, patient=patient)
    return _plan_out(plan, default=is_default) if plan else Status(204, None)


@router.put(
    "/patients/{patient_id}/measurement-plan",
    response=MeasurementPlanOut,
    summary="Set the patient's measurement plan",
)
def plan_write(request: HttpRequest, patient_id: uuid.UUID, payload: MeasurementPlanIn) -> Any:
    plan = services.plan_set(
        access=access_of(request),
        patient_id=patient_id,
        starts_on=payload.starts_on,
        rules=[
            services.RuleInput(
                kind=r.kind,
                instruments=tuple(r.instruments),
                interval_days=r.interval_days,
                hours_after=r.hours_after,
                dates=tuple(r.dates),
            )
            for r in payload.rules
        ],
    )
    return _plan_out(plan, default=False)
