from __future__ import annotations

import uuid
from collections import defaultdict

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.measures.models import (
    InstrumentWording,
    MeasurementPlan,
    QuestionnaireResponse,
    SafetyAlert,
    Score,
    SelfReportLink,
)
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession


def scores_by_instrument(*, patient: Patient) -> dict[str, list[Score]]:
    """Current (not superseded) scores per instrument, oldest first, for tables and trends."""
    grouped: dict[str, list[Score]] = defaultdict(list)
    for row in (
        Score.objects.filter(patient=patient, is_current=True)
        .select_related("response")
        .order_by("answered_at")
    ):
        grouped[row.instrument].append(row)
    return dict(grouped)


def score_history(*, patient: Patient) -> dict[str, list[Score]]:
    """Every score of the patient, superseded ones too, newest first, per instrument."""
    grouped: dict[str, list[Score]] = defaultdict(list)
    rows = (
        Score.objects.filter(patient=patient)
        .select_related(
            "response__entered_by", "response__link", "response__session", "response__supersedes"
        )
        .order_by("-answered_at", "-created_at")
    )
    for row in rows:
        grouped[row.instrument].append(row)
    return dict(grouped)


def response_of(
    *, patient: Patient, response_id: str, instrument: str | None = None
) -> QuestionnaireResponse | None:
    """One of the patient's responses by its id as typed in a URL or form; None when the id
    is malformed or names no response of this patient (and instrument, when given)."""
    try:
        pk = uuid.UUID(response_id)
    except ValueError:
        return None
    rows = QuestionnaireResponse.objects.filter(clinic=patient.clinic, patient=patient, pk=pk)
    if instrument is not None:
        rows = rows.filter(instrument=instrument)
    return rows.first()


def wordings_of(*, clinic: Clinic, code: str) -> dict[int, InstrumentWording]:
    """The clinic's licensed wording for an instrument, by item number."""
    rows = InstrumentWording.objects.filter(clinic=clinic, instrument=code)
    return {row.item_number: row for row in rows}


def alert_exists(*, clinic: Clinic, alert_id: uuid.UUID) -> bool:
    return SafetyAlert.objects.filter(clinic=clinic, pk=alert_id).exists()


def sessions_of(*, patient: Patient) -> QuerySet[TreatmentSession]:
    return TreatmentSession.objects.filter(patient=patient).order_by("scheduled_start")


def open_alerts(*, clinic: Clinic) -> QuerySet[SafetyAlert]:
    return (
        SafetyAlert.objects.filter(clinic=clinic, acknowledged_at__isnull=True)
        .select_related("patient")
        .order_by("-raised_at")
    )


def open_alerts_of(*, patient: Patient) -> QuerySet[SafetyAlert]:
    return SafetyAlert.objects.filter(patient=patient, acknowledged_at__isnull=True)


def alerts_of(*, patient: Patient) -> QuerySet[SafetyAlert]:
    return (
        SafetyAlert.objects.filter(patient=patient)
        .select_related("acknowledged_by")
        .order_by("acknowledged_at", "-raised_at")
    )


def links_of(*, patient: Patient) -> QuerySet[SelfReportLink]:
    """The links the Measures tab lists and can revoke: questionnaires, and the link to
    the patient's own view (ketacare.portal)."""
    purposes = (SelfReportLink.Purpose.QUESTIONNAIRE, SelfReportLink.Purpose.PATIENT_VIEW)
    return SelfReportLink.objects.filter(patient=patient, purpose__in=purposes).select_related(
        "created_by"
    )


def open_links(*, clinic: Clinic) -> QuerySet[SelfReportLink]:
    return (
        SelfReportLink.objects.filter(
            clinic=clinic,
            completed_at__isnull=True,
            revoked_at__isnull=True,
            purpose=SelfReportLink.Purpose.QUESTIONNAIRE,
        )
        .select_related("patient")
        .order_by("expires_at")
    )


def effective_plan(*, clinic: Clinic, patient: Patient) -> tuple[MeasurementPlan | None, bool]:
    """The patient's own plan, else the clinic default; and whether it is the default."""
    own = MeasurementPlan.objects.filter(clinic=clinic, patient=patient).first()
    if own:
        return own, False
    return MeasurementPlan.objects.filter(clinic=clinic, patient__isnull=True).first(), True


def recent_scores(*, clinic: Clinic, limit: int) -> list[Score]:
    return list(
        Score.objects.filter(clinic=clinic, is_current=True)
        .select_related("patient", "response")
        .order_by("-answered_at")[:limit]
    )
