"""The clinician worklist: what needs doing, across the clinic, each entry linked to the
place where the work is done. A fixed number of queries, however many patients."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.measures.models import SelfReportLink
from ketacare.measures.selectors import open_alerts
from ketacare.outcomes.config import OutcomeConfig, config_for
from ketacare.outcomes.course import Status, futility, relapse
from ketacare.outcomes.models import MaintenanceDecision
from ketacare.outcomes.services import Protocols, clinic_protocols, clinic_today, maintenance_for
from ketacare.outcomes.sources import PatientCourse, clinic_courses
from ketacare.outcomes.work_sources import WORK_SOURCES, WorkItem, WorkSource
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

__all__ = [
    "KINDS",
    "WORK_SOURCES",
    "WorkItem",
    "WorkSource",
    "Worklist",
    "build_worklist",
    "worklist_open",
]

# Display windows, not clinical thresholds: which courses are still active, how soon a
# booster counts as due, how far back an unanswered self-report link is shown.
ACTIVE_DAYS = 120
DUE_SOON_DAYS = 3
UNANSWERED_DAYS = 14

# Order of the sections on the page, most urgent first.
KINDS = {
    "safety_alert": "Open safety alerts",
    "relapse": "Relapse",
    "early_warning": "Early warnings",
    "futility": "Futility reviews due",
    "booster_overdue": "Boosters overdue",
    "booster_due": "Boosters due",
    "measures_overdue": "Measures overdue",
    # Filled from the other capabilities through WORK_SOURCES (work_sources.py):
    "rems_forms_due": "REMS forms due",
    "plans_awaiting_prescriber": "Plans awaiting prescriber action",
}


@dataclass(frozen=True)
class Worklist:
    items: list[WorkItem]

    def sections(self) -> list[tuple[str, str, list[WorkItem]]]:
        return [
            (kind, label, [i for i in self.items if i.kind == kind])
            for kind, label in KINDS.items()
        ]


def _outcomes_url(access: ClinicAccess, patient_id: uuid.UUID) -> str:
    return reverse(
        "patient_chart_section",
        kwargs={"clinic_slug": access.clinic.slug, "patient_id": patient_id, "section": "outcomes"},
    )


def _measures_url(access: ClinicAccess, patient_id: uuid.UUID) -> str:
    return reverse(
        "patient_measures", kwargs={"clinic_slug": access.clinic.slug, "patient_id": patient_id}
    )


def _alert_items(access: ClinicAccess) -> list[WorkItem]:
    return [
        WorkItem(
            "safety_alert",
            alert.patient_id,
            f"{alert.instrument.upper()}: {alert.reason}",
            alert.raised_at,
            _measures_url(access, alert.patient_id) + "#alerts",
        )
        for alert in open_alerts(clinic=access.clinic)
    ]


def _unanswered_items(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    links = (
        SelfReportLink.objects.filter(
            clinic=access.clinic,
            completed_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__lt=now,
            expires_at__gte=now - dt.timedelta(days=UNANSWERED_DAYS),
        )
        .order_by("patient_id", "-expires_at")
        .values_list("patient_id", "instruments", "expires_at")
    )
    seen: dict[uuid.UUID, WorkItem] = {}
    for patient_id, instruments, expires_at in links:
        if patient_id not in seen:
            names = ", ".join(str(code).upper() for code in instruments)
            seen[patient_id] = WorkItem(
                "measures_overdue",
                patient_id,
                f"{names} not answered; the link expired {expires_at:%Y-%m-%d %H:%M}",
                expires_at,
                _measures_url(access, patient_id),
            )
    return list(seen.values())


def _course_items(
    access: ClinicAccess,
    pc: PatientCourse,
    config: OutcomeConfig,
    today: dt.date,
    booked: set[uuid.UUID],
    decided: set[str],
    protocols: Protocols,
) -> list[WorkItem]:
    instrument = config.options.primary_instrument
    url = _outcomes_url(access, pc.patient_id)
    items = []
    lost = relapse(pc.course, instrument, config.rules)
    last_given = pc.last_session.given_at
    if lost.status is Status.MET and lost.confirmed_at and lost.confirmed_at > last_given:
        items.append(WorkItem("relapse", pc.patient_id, lost.reason, lost.confirmed_at, url))
    recommendation, warning, _taper = maintenance_for(pc, config, today, protocols)
    if warning.status is Status.MET and not items:
        items.append(WorkItem("early_warning", pc.patient_id, warning.reason, warning.at, url))
    review = futility(pc.course, instrument, config.rules)
    if review.status is Status.MET:
        items.append(WorkItem("futility", pc.patient_id, review.reason, review.at, url))
    due = (
        recommendation.status is Status.MET
        and recommendation.date is not None
        and recommendation.date <= today + dt.timedelta(days=DUE_SOON_DAYS)
        and pc.patient_id not in booked
        and str(pc.last_session.id) not in decided
    )
    if due:
        kind = "booster_overdue" if recommendation.overdue else "booster_due"
        items.append(WorkItem(kind, pc.patient_id, recommendation.reason, recommendation.date, url))
    return items


def _named(items: list[WorkItem]) -> list[WorkItem]:
    """The items of active patients, with their names (one query)."""
    patients = {
        p.pk: p
        for p in Patient.objects.filter(
            pk__in={i.patient_id for i in items}, archived_at__isnull=True
        ).only("legal_given_name", "legal_family_name", "preferred_name", "mrn")
    }
    return [
        WorkItem(
            i.kind,
            i.patient_id,
            i.summary,
            i.when,
            i.url,
            patients[i.patient_id].display_name,
            patients[i.patient_id].mrn,
        )
        for i in items
        if i.patient_id in patients
    ]


def build_worklist(access: ClinicAccess, now: dt.datetime) -> Worklist:
    config = config_for(access.clinic)
    today = clinic_today(access, now)
    clinic = access.clinic
    booked = set(
        TreatmentSession.objects.filter(
            clinic=clinic, status=TreatmentSession.Status.SCHEDULED, scheduled_start__gte=now
        ).values_list("patient_id", flat=True)
    )
    decided = {
        str(pk)
        for pk in MaintenanceDecision.objects.filter(clinic=clinic).values_list(
            "last_session_id", flat=True
        )
    }
    active_since = now - dt.timedelta(days=ACTIVE_DAYS)
    protocols = clinic_protocols(access)
    items = _alert_items(access)
    for pc in clinic_courses(clinic).values():  # each patient's current course
        if pc.last_session.given_at >= active_since or pc.patient_id in booked:
            items += _course_items(access, pc, config, today, booked, decided, protocols)
    items += _unanswered_items(access, now)
    for source in WORK_SOURCES:
        items += source(access, now)
    return Worklist(_named(items))


@transaction.atomic
def worklist_open(*, access: ClinicAccess, now: dt.datetime) -> Worklist:
    """The worklist names patients, so opening it is audited once, with those it showed."""
    access.require(Permission.VIEW_CHART)
    worklist = build_worklist(access, now)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="worklist",
        details={"patient_ids": sorted({str(i.patient_id) for i in worklist.items})},
    )
    return worklist
