"""Worklist sections fed by the other capabilities: sessions left open and REMS forms due
(ketacare.treatment) and plans awaiting prescriber action (ketacare.dosing,
ketacare.eligibility). Each is a
`WorkSource`, (access, now) -> items, with a fixed number of queries; `worklist` lists
them in `WORK_SOURCES`. Outcomes reads those apps; they never import outcomes.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext

from ketacare.accounts.access import ClinicAccess
from ketacare.dosing.models import DoseOrder, TreatmentPlan
from ketacare.dosing.protocols import SHIPPED
from ketacare.eligibility.models import CautionAcceptance, ScreeningResult
from ketacare.eligibility.selectors import unaccepted_cautions
from ketacare.treatment import rems
from ketacare.treatment.left_open import OPEN_STATES, left_open, opened_at
from ketacare.treatment.lifecycle import STATE_LABELS
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
    # Filled by the worklist for the compact rows (compact.py):
    headline: str = ""  # what it is, in a few words
    due: dt.date | None = None  # `when` as a date in the clinic's calendar
    prescriber_id: int | None = None  # of the patient's current course
    trend: tuple[float, ...] = ()  # the current course's scores on the primary instrument
    instrument: str = ""  # that instrument's abbreviation


WorkSource = Callable[[ClinicAccess, dt.datetime], list[WorkItem]]


def _plan_url(access: ClinicAccess, patient_id: uuid.UUID) -> str:
    return reverse(
        "patient_chart_section",
        kwargs={"clinic_slug": access.clinic.slug, "patient_id": patient_id, "section": "plan"},
    )


def sessions_left_open(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    """One item per session begun and not discharged more than
    KETACARE_SESSION_LEFT_OPEN_HOURS ago (`left_open.py`), however long it has been open.
    One query: the clinic's open sessions are the day's chairs plus those left open."""
    limit = settings.KETACARE_SESSION_LEFT_OPEN_HOURS
    sessions = (
        TreatmentSession.objects.filter(clinic=access.clinic, status__in=OPEN_STATES)
        .order_by("scheduled_start", "pk")
        .values_list(
            "pk",
            "patient_id",
            "status",
            "scheduled_start",
            "checked_in_at",
            "dosing_started_at",
        )
    )
    items = []
    for session_id, patient_id, status, scheduled, checked_in, dosing in sessions:
        since = opened_at(
            scheduled_start=scheduled, checked_in_at=checked_in, dosing_started_at=dosing
        )
        found = left_open(status, since, now, limit_hours=limit)
        if found is None:
            continue
        local = since.astimezone(zoneinfo.ZoneInfo(access.clinic.time_zone))
        items.append(
            WorkItem(
                "session_left_open",
                patient_id,
                gettext(
                    'The session still reads "%(state)s", %(hours)s hours after it began '
                    "(%(since)s): open more than %(limit)s hours. Discharge and sign it, or "
                    "correct the record."
                )
                % {
                    "state": STATE_LABELS[found.state],
                    "hours": f"{found.hours:,}",
                    "since": f"{local:%Y-%m-%d %H:%M}",
                    "limit": limit,
                },
                found.flagged_at,
                reverse(
                    "session_page",
                    kwargs={
                        "clinic_slug": access.clinic.slug,
                        "patient_id": patient_id,
                        "session_id": session_id,
                    },
                ),
                headline=gettext("Session left open"),
            )
        )
    return items


def rems_forms_due(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    """Esketamine sessions given and discharged whose REMS patient monitoring form is not
    yet submitted: the forms the clinic's REMS list shows as draft or overdue (due within
    7 days of the session, clinical.md §5.3). One query."""
    today = access.clinic.date_of(now)
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
        given = access.clinic.date_of(dosed or scheduled)
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
                headline="REMS form overdue" if status == "overdue" else "REMS form due",
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
            f"{access.clinic.date_of(at):%Y-%m-%d} awaits a second clinician's double-check",
            at,
            _plan_url(access, patient_id),
            headline="Dose order to double-check",
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
            headline="Plan without a dose order",
        )
        for patient_id, code, start in plans
    ]


def _blocking_words(screening: ScreeningResult, accepted: set[tuple[str, str]]) -> str:
    """What in the screening holds the plan up, or "" when nothing does."""
    if screening.outcome == "not_eligible":
        return "found the patient not eligible: review the plan"
    waiting = unaccepted_cautions(screening.reasons, accepted)
    if not waiting:
        return ""
    return (
        f"raised {len(waiting)} caution{'s' if len(waiting) > 1 else ''} no prescriber has "
        f"accepted ({'; '.join(r['text'] for r in waiting)}): dosing waits for a decision"
    )


def plans_held_by_screening(access: ClinicAccess, now: dt.datetime) -> list[WorkItem]:
    """Active plans whose latest screening for the plan's protocol found the patient not
    eligible, or raised a caution no prescriber has accepted: either way no session of the
    plan can be dosed until a prescriber acts. Three queries."""
    latest = ScreeningResult.objects.filter(
        patient=OuterRef("patient"), protocol_code=OuterRef("protocol_code")
    ).order_by("-screened_at", "-created_at")
    plans = list(
        TreatmentPlan.objects.filter(clinic=access.clinic, status=TreatmentPlan.Status.ACTIVE)
        .annotate(latest_id=Subquery(latest.values("pk")[:1]))
        .filter(latest_id__isnull=False)
        .order_by("start_date")
        .values_list("patient_id", "protocol_code", "latest_id")
    )
    screenings = ScreeningResult.objects.in_bulk([latest_id for _, _, latest_id in plans])
    accepted: dict[tuple[uuid.UUID, str], set[tuple[str, str]]] = defaultdict(set)
    for patient_id, code, caution, detail in CautionAcceptance.objects.filter(
        clinic=access.clinic, patient_id__in={patient_id for patient_id, _, _ in plans}
    ).values_list("patient_id", "protocol_code", "code", "detail"):
        accepted[patient_id, code].add((caution, detail))
    items = []
    for patient_id, code, latest_id in plans:
        screening = screenings[latest_id]
        words = _blocking_words(screening, accepted[patient_id, code])
        if words:
            day = access.clinic.date_of(screening.screened_at)
            items.append(
                WorkItem(
                    "plans_awaiting_prescriber",
                    patient_id,
                    f"{_protocol_name(code)} plan is active, but the latest screening "
                    f"({day:%Y-%m-%d}) {words}",
                    screening.screened_at,
                    _plan_url(access, patient_id),
                    headline="Plan held by screening",
                )
            )
    return items


WORK_SOURCES: list[WorkSource] = [
    sessions_left_open,
    rems_forms_due,
    unchecked_orders,
    plans_without_order,
    plans_held_by_screening,
]
