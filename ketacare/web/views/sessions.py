"""The chart's Sessions tab: book treatment sessions, record them given, cancel them.
(Session charting itself comes with the sessions capability.)"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.measures.selectors import sessions_of
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.treatment import services
from ketacare.treatment.models import TreatmentSession
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import register_tab


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class ScheduleForm(forms.Form):
    scheduled_start = forms.DateTimeField(widget=DateTimeInput(), label="Start")
    reason = forms.CharField(
        max_length=300, required=False, label="Reason, if far in the past or ahead"
    )


class GivenForm(forms.Form):
    dosing_started_at = forms.DateTimeField(widget=DateTimeInput(), label="Dosing started")
    reason = forms.CharField(max_length=300, required=False, label="Reason, if a late entry")


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300)
    no_show = forms.BooleanField(required=False, label="Patient did not attend")


def sessions_tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    now = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    return "web/sessions/_tab.html", {
        "sessions": sessions_of(patient=patient),
        "schedule_form": ScheduleForm(),
        "given_form": GivenForm(initial={"dosing_started_at": now}),
        "cancel_form": CancelForm(),
        "can_schedule": access.can(Permission.SCHEDULE_SESSIONS) and not patient.is_archived,
        "can_give": access.can(Permission.GIVE_DOSES),
        # The front desk's session links open the schedule's session page (no chart).
        "can_chart": access.can(Permission.VIEW_CHART),
    }


register_tab("sessions", "Sessions", sessions_tab)


def _check_records(
    access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID | None = None
) -> None:
    """404 for another clinic's patient or session, before looking at the form."""
    patient_get(access=access, patient_id=patient_id)
    if (
        session_id
        and not TreatmentSession.objects.filter(
            clinic=access.clinic, patient_id=patient_id, pk=session_id
        ).exists()
    ):
        raise NotFound("session")


def _back(access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    return redirect(
        "patient_chart_section",
        clinic_slug=access.clinic.slug,
        patient_id=patient_id,
        section="sessions",
    )


def _run(request: HttpRequest, form: forms.Form, action: Any, done: str) -> None:
    if not form.is_valid():
        messages.error(
            request,
            "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()),
        )
        return
    try:
        action(form.cleaned_data)
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        messages.success(request, done)


@require_POST
@clinic_view
def session_schedule(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    _check_records(access, patient_id)
    _run(
        request,
        ScheduleForm(request.POST),
        lambda data: services.session_schedule(
            access=access,
            patient_id=patient_id,
            scheduled_start=data["scheduled_start"],
            reason=data["reason"],
        ),
        "Session booked.",
    )
    return _back(access, patient_id)


@require_POST
@clinic_view
def session_given(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    _check_records(access, patient_id, session_id)
    _run(
        request,
        GivenForm(request.POST),
        lambda data: services.session_record_given(
            access=access,
            patient_id=patient_id,
            session_id=session_id,
            dosing_started_at=data["dosing_started_at"],
            reason=data["reason"],
        ),
        "Session recorded as given.",
    )
    return _back(access, patient_id)


@require_POST
@clinic_view
def session_cancel(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    _check_records(access, patient_id, session_id)
    _run(
        request,
        CancelForm(request.POST),
        lambda data: services.session_cancel(
            access=access,
            patient_id=patient_id,
            session_id=session_id,
            reason=data["reason"],
            no_show=data["no_show"],
        ),
        "Session updated.",
    )
    return _back(access, patient_id)
