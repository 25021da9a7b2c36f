"""Outcome endpoints: a patient's course outcomes and maintenance plan, accepting or
dismissing the recommendation, the worklist, the dashboard's data and the settings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Body, Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.accounts.policy import Permission
from ketacare.api.auth import access_of
from ketacare.api.paging import link_next
from ketacare.outcomes import dashboard, services
from ketacare.outcomes.charts import dashboard_tables
from ketacare.outcomes.compact import SORTS, UNASSIGNED
from ketacare.outcomes.config import config_for, setting_rows
from ketacare.outcomes.course import CourseOutcome
from ketacare.outcomes.worklist import KINDS, ROWS_PER_PAGE, worklist_open
from ketacare.patients.services import patient_view

router = Router(tags=["outcomes"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class RecommendationAcceptIn(Strict):
    scheduled_start: dt.datetime | None = None


class DismissIn(Strict):
    reason: str = Field(..., min_length=1, max_length=300)


class DecisionOut(Schema):
    id: uuid.UUID
    decision: str
    recommended_date: dt.date
    recommendation: str
    reason: str
    booked_session_id: uuid.UUID | None
    decided_at: dt.datetime


class VerdictOut(Schema):
    status: str
    reason: str
    score_ids: list[str]


class JudgedOut(Schema):
    status: str
    reason: str
    score_ids: list[str]
    date: dt.date | None = None
    day: int | None = None
    overdue: bool = False


class PatientOutcomesOut(Schema):
    primary_instrument: str
    first_dose_at: dt.datetime | None
    outcomes: dict[str, dict[str, VerdictOut]]
    recommendation: JudgedOut | None
    early_warning: JudgedOut | None
    taper: JudgedOut | None
    decision: DecisionOut | None


class WorkItemOut(Schema):
    kind: str
    headline: str = Field(description="What it is, in a few words")
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    summary: str = Field(description="The full reasoning")
    when: dt.datetime | dt.date | None
    due: dt.date | None = Field(description="`when` as a date in the clinic's calendar")
    prescriber_id: int | None = Field(description="The prescriber of the current course")
    instrument: str = Field(description="The primary instrument of the trend, if any")
    trend: list[float] = Field(description="The current course's scores on it, in order")
    url: str


class WorklistQuery(Schema):
    kind: Literal[tuple(KINDS)] | None = None  # type: ignore[valid-type]
    clinician: int | None = Field(
        None, description=f"A prescriber's user id; {UNASSIGNED} for no prescriber yet"
    )
    sort: Literal[tuple(SORTS)] = "urgency"  # type: ignore[valid-type]
    cursor: str = Field("", max_length=2000, description="From the Link header's next page")
    limit: int = Field(ROWS_PER_PAGE, ge=1, le=500, description="At most this many rows")


class SettingOut(Schema):
    key: str
    group: str
    value: Any
    default: Any
    source: str
    alternatives: list[Any]


class DashboardFilters(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    instrument: str | None = None
    prescriber_id: int | None = None
    protocol: str | None = None
    route: str | None = None
    indication: str | None = None


class TableOut(Schema):
    header: list[str]
    rows: list[list[Any]]


class DashboardOut(Schema):
    instrument: str
    induction_days: int
    # null in a count: fewer than small_cells_below courses (hidden from researchers)
    courses_started: int | None
    courses_past_induction: int | None
    responders: int | None
    small_cells_below: int | None
    median_days_to_response: float | None = Field(
        description="The median of the responders' times to response, each in whole days"
    )
    median_sessions_to_response: float | None
    median_days_free_of_relapse: float | None = Field(
        description="Kaplan-Meier's median time free of relapse; durations in whole days"
    )
    tables: dict[str, TableOut]


def _verdicts(outcome: CourseOutcome) -> dict[str, dict[str, Any]]:
    from ketacare.outcomes.charts import VERDICTS

    return {
        attr: {
            "status": getattr(outcome, attr).status.value,
            "reason": getattr(outcome, attr).reason,
            "score_ids": [str(i) for i in getattr(outcome, attr).score_ids],
        }
        for attr, _label in VERDICTS
    }


def _judged(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "status": found.status.value,
        "reason": found.reason,
        "score_ids": [str(i) for i in found.score_ids],
        "date": getattr(found, "date", None),
        "day": getattr(found, "day", None),
        "overdue": getattr(found, "overdue", False),
    }


@router.get(
    "/patients/{patient_id}/outcomes",
    response=PatientOutcomesOut,
    summary="The patient's course outcomes and maintenance plan",
)
def outcomes_get(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    state = services.patient_outcomes(access=access_of(request), patient_id=patient_id)
    return {
        "primary_instrument": state.config.options.primary_instrument,
        "first_dose_at": state.course.course.first_dose_at if state.course else None,
        "outcomes": {o.instrument: _verdicts(o) for o in state.outcomes},
        "recommendation": _judged(state.recommendation),
        "early_warning": _judged(state.warning),
        "taper": _judged(state.taper),
        "decision": state.decision,
    }


@router.post(
    "/patients/{patient_id}/outcomes/recommendation/accept",
    response=DecisionOut,
    summary="Accept the next-session recommendation (books the session)",
)
def recommendation_accept(
    request: HttpRequest, patient_id: uuid.UUID, payload: RecommendationAcceptIn
) -> Any:
    return services.recommendation_accept(
        access=access_of(request), patient_id=patient_id, scheduled_start=payload.scheduled_start
    )


@router.post(
    "/patients/{patient_id}/outcomes/recommendation/dismiss",
    response=DecisionOut,
    summary="Dismiss the next-session recommendation, with a reason",
)
def recommendation_dismiss(request: HttpRequest, patient_id: uuid.UUID, payload: DismissIn) -> Any:
    return services.recommendation_dismiss(
        access=access_of(request), patient_id=patient_id, reason=payload.reason
    )


class ClinicalEventIn(Strict):
    kind: str = Field(
        ..., description="hospitalisation, suicide_attempt or suicide_prevention", max_length=30
    )
    occurred_at: dt.datetime
    note: str = Field("", max_length=500)


class ClinicalEventOut(Schema):
    id: uuid.UUID
    kind: str
    kind_label: str
    occurred_at: dt.datetime
    note: str
    recorded_by: str
    entered_in_error_at: dt.datetime | None
    entered_in_error_reason: str

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_recorded_by(obj: Any) -> str:
        return str(obj.recorded_by)


class ClinicalEventInErrorIn(Strict):
    reason: str = Field(..., min_length=1, max_length=300)


_events = "/patients/{patient_id}/clinical-events"


@router.get(_events, response=list[ClinicalEventOut], summary="The patient's clinical events")
def clinical_events_get(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    access = access_of(request)
    patient = patient_view(access=access, patient_id=patient_id, section="outcomes")
    return services.clinical_events_of(clinic=access.clinic, patient=patient)


@router.post(
    _events,
    response={201: ClinicalEventOut},
    summary="Record a hospitalisation for worsening depression, a suicide attempt or another "
    "event to prevent suicide (a relapse under the SUSTAIN-1 option)",
)
def clinical_event_post(
    request: HttpRequest, patient_id: uuid.UUID, payload: ClinicalEventIn
) -> Any:
    event = services.clinical_event_record(
        access=access_of(request), patient_id=patient_id, **payload.dict()
    )
    return Status(201, event)


@router.post(
    _events + "/{entry_id}/entered-in-error",
    response=ClinicalEventOut,
    summary="Mark a clinical event entered in error (kept, no longer counted)",
)
def clinical_event_in_error(
    request: HttpRequest,
    patient_id: uuid.UUID,
    entry_id: uuid.UUID,
    payload: ClinicalEventInErrorIn,
) -> Any:
    return services.clinical_event_mark_in_error(
        access=access_of(request), patient_id=patient_id, event_id=entry_id, reason=payload.reason
    )


@router.get(
    "/worklist",
    response=list[WorkItemOut],
    summary="The clinician worklist, a page at a time",
    description="Rows of the chosen kind and clinician in the chosen order. When more "
    'follow, the `Link` header names the next page (rel="next"); it starts after the last '
    "row listed, so work done in between shifts nothing.",
)
def worklist_get(request: HttpRequest, response: HttpResponse, query: Query[WorklistQuery]) -> Any:
    opened = worklist_open(
        access=access_of(request),
        now=timezone.now(),
        kind=query.kind or "",
        prescriber_id=query.clinician,
        sort=query.sort,
        cursor=query.cursor,
        size=query.limit,
    )
    if opened.next_cursor:
        link_next(request, response, query.dict() | {"cursor": opened.next_cursor})
    return opened.rows


@router.get(
    "/outcomes/dashboard", response=DashboardOut, summary="The clinic outcome dashboard's data"
)
def dashboard_get(request: HttpRequest, filters: Query[DashboardFilters]) -> Any:
    board = dashboard.dashboard_open(
        access=access_of(request),
        filters=dashboard.Filters(**filters.dict()),
        now=timezone.now(),
    )
    return {
        "instrument": board.instrument,
        "induction_days": board.induction_days,
        "courses_started": board.started,
        "courses_past_induction": board.completed,
        "responders": board.responders,
        "small_cells_below": board.small_cells_below,
        "median_days_to_response": board.median_days_to_response,
        "median_sessions_to_response": board.median_sessions_to_response,
        "median_days_free_of_relapse": board.durability.median_days if board.durability else None,
        "tables": {
            name: {"header": header, "rows": rows}
            for name, (header, rows) in dashboard_tables(board).items()
        },
    }


def _rows(request: HttpRequest) -> list[dict[str, Any]]:
    access = access_of(request)
    if not (access.can(Permission.VIEW_CHART) or access.can(Permission.MANAGE_PROTOCOLS)):
        access.require(Permission.VIEW_CHART)
    return [
        {
            "key": r.key,
            "group": r.group,
            "value": r.value,
            "default": r.default,
            "source": r.source,
            "alternatives": list(r.alternatives),
        }
        for r in setting_rows(config_for(access.clinic))
    ]


@router.get("/outcomes/settings", response=list[SettingOut], summary="The outcome settings")
def settings_get(request: HttpRequest) -> Any:
    return _rows(request)


@router.put("/outcomes/settings", response=list[SettingOut], summary="Change outcome settings")
def settings_put(request: HttpRequest, payload: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
    """Any settings, by name; per-instrument ones nested, e.g.
    {"remission_at_or_below": {"madrs": 10}, "lead_days": 2}."""
    flat: dict[str, object] = {}
    for key, value in payload.items():
        if isinstance(value, dict):
            flat |= {f"{key}.{code}": inner for code, inner in value.items()}
        else:
            flat[key] = value
    services.outcome_settings_update(access=access_of(request), values=flat)
    return _rows(request)
