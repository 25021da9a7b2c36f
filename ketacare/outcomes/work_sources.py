"""Worklist sections fed by the other capabilities: REMS forms due (ketacare.treatment)
and plans awaiting prescriber action (ketacare.dosing, ketacare.eligibility). Each is a
`WorkSource`, (access, now) -> items, with a fixed number of queries; `worklist` lists
them in `WORK_SOURCES`. Outcomes reads those apps; they never import outcomes.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.dosing.models import DoseOrder, TreatmentPlan
from ketacare.dosing.protocols import SHIPPED
from ketacare.eligibility.models import ScreeningResult
from ketacare.treatment import rems
from ketacare.treatment.models import RemsMonitoringForm, TreatmentSession


@dataclass(frozen=True)
class WorkItem:
    kind: str
    patient_id: uuid.UUID
    summary: str
    when: dt.datetime | dt.date | None
    url: str
    patient_name: str = ""
    mrn: str = ""


WorkSource = Callable[[ClinicAccess, dt.datetime], list[WorkItem]]


def _local_day(access: ClinicAccess, moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, zoneinfo.ZoneInfo(access.clinic.time_zone)).date()


def _plan_url(access: ClinicAccess, patient_id: uuid.UUID) -> str:
    return reverse(
        "patient_chart_section",
        kwargs={"clinic_slug": access.clinic.slug, "patient_id": patient_id, "section": "plan"},
    )


def rems_forms_due(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    """Esketamine sessions given and discharged whose REMS patient monitoring form is not
    yet submitted: the forms the clinic's REMS list shows as draft or overdue (due within
    7 days of the session, clinical.md §5.3). One query."""
    today = _local_day(access, now)
    forms = (
        RemsMonitoringForm.objects.filter(clinic=access.clinic)
        .exclude(status=RemsMonitoringForm.Status.SUBMITTED)
        .filter(session__status__in=TreatmentSession.GIVEN_STATUSES)
        .order_by("due_on")
        .values_list(
            "session_id",
            "session__patient_id",
            "session__dosing_started_at",
            "session__scheduled_start",
            "due_on",
        )
    )
    items = []
    for session_id, patient_id, dosed, scheduled, due in forms:
        status = rems.form_status(submitted=False, due=due, today=today)
        given = _local_day(access, dosed or scheduled)
        state = f"overdue since {due:%Y-%m-%d}" if status == "overdue" else f"due {due:%Y-%m-%d}"
        items.append(
            WorkItem(
                "rems_forms_due",
                patient_id,
                f"REMS patient monitoring form for the session of {given:%Y-%m-%d}: "
                f"not submitted, {state}",
                due,
                reverse(
                    "rems_form_page",
                    kwargs={
                        "clinic_slug": access.clinic.slug,
                        "patient_id": patient_id,
                        "session_id": session_id,
                    },
                ),
            )
        )
    return items


def _protocol_name(code: str) -> str:
    found = SHIPPED.get(code)
    return found.name if found else code


def unchecked_orders(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    """Active dose orders no second clinician has double-checked yet. One query."""
    orders = (
        DoseOrder.objects.filter(
            clinic=access.clinic, status=DoseOrder.Status.ACTIVE, checked_at__isnull=True
        )
        .order_by("created_at")
        .values_list("patient_id", "protocol_code", "dose_mg", "created_at")
    )
    return [
        WorkItem(
            "plans_awaiting_prescriber",
            patient_id,
            f"Dose order {float(dose):g} mg ({_protocol_name(code)}) of "
            f"{_local_day(access, at):%Y-%m-%d} awaits a second clinician's double-check",
            at,
            _plan_url(access, patient_id),
        )
        for patient_id, code, dose, at in orders
    ]


def plans_without_order(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    """Active plans with sessions still to come but no active dose order for the
    patient: the prescriber has a dose to order. One query."""
    plans = (
        TreatmentPlan.objects.filter(clinic=access.clinic, status=TreatmentPlan.Status.ACTIVE)
        .filter(
            Exists(
                TreatmentSession.objects.filter(
                    plan=OuterRef("pk"),
                    status=TreatmentSession.Status.SCHEDULED,
                    scheduled_start__gte=now,
                )
            )
        )
        .exclude(
            Exists(
                DoseOrder.objects.filter(
                    patient=OuterRef("patient"), status=DoseOrder.Status.ACTIVE
                )
            )
        )
        .order_by("start_date")
        .values_list("patient_id", "protocol_code", "start_date")
    )
    return [
        WorkItem(
            "plans_awaiting_prescriber",
            patient_id,
            f"{_protocol_name(code)} plan (from {start:%Y-%m-%d}) has sessions booked but no "
            "active dose order",
            start,
            _plan_url(access, patient_id),
        )
        for patient_id, code, start in plans
    ]


def plans_screened_out(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    """Active plans whose latest eligibility screening for the plan's protocol found the
    patient not eligible: the plan needs the prescriber's review. One query."""
    latest = ScreeningResult.objects.filter(
        patient=OuterRef("patient"), protocol_code=OuterRef("protocol_code")
    ).order_by("-screened_at", "-created_at")
    plans = (
        TreatmentPlan.objects.filter(clinic=access.clinic, status=TreatmentPlan.Status.ACTIVE)
        .annotate(
            latest_outcome=Subquery(latest.values("outcome")[:1]),
            latest_at=Subquery(latest.values("screened_at")[:1]),
        )
        .filter(latest_outcome="not_eligible")
        .order_by("start_date")
        .values_list("patient_id", "protocol_code", "latest_at")
    )
    return [
        WorkItem(
            "plans_awaiting_prescriber",
            patient_id,
            f"{_protocol_name(code)} plan is active, but the latest screening "
            f"({_local_day(access, at):%Y-%m-%d}) found the patient not eligible: review the plan",
            at,
            _plan_url(access, patient_id),
        )
        for patient_id, code, at in plans
    ]


WORK_SOURCES: list[WorkSource] = [
    rems_forms_due,
    unchecked_orders,
    plans_without_order,
    plans_screened_out,
]
