"""Outcomes pages: the chart's Outcomes tab (with accepting or dismissing the maintenance
recommendation), the clinician worklist, the clinic outcome dashboard with its tables and
CSV downloads, the outcome settings and the patient report. Thin: services decide."""

from __future__ import annotations

import contextlib
import uuid
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.common.http import csv_response
from ketacare.measures.instruments import get_instrument
from ketacare.operations.routers import replica_reads
from ketacare.outcomes import charts, report, services
from ketacare.outcomes import dashboard as outcome_dashboard
from ketacare.outcomes.compact import SORTS, UNASSIGNED
from ketacare.outcomes.config import config_for, setting_rows
from ketacare.outcomes.models import ClinicalEvent
from ketacare.outcomes.options import JUDGED_INSTRUMENTS
from ketacare.outcomes.worklist import KINDS, worklist_open
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import register_tab
from ketacare.web.views.sessions import DateTimeInput


class AcceptForm(forms.Form):
    scheduled_start = forms.DateTimeField(widget=DateTimeInput(), label="Start", required=False)


class DismissForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why dismiss it")


class ClinicalEventForm(forms.Form):
    kind = forms.ChoiceField(choices=ClinicalEvent.Kind.choices, label="What happened")
    occurred_at = forms.DateTimeField(widget=DateTimeInput(), label="When it happened")
    note = forms.CharField(
        max_length=500, required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )


EVENT_FIELDS = {"kind": "What happened", "occurred_at": "When it happened", "note": "Note"}


def _tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    state = services.outcomes_of(access, patient, timezone.now())
    rec = state.recommendation
    initial = None
    if rec is not None and rec.date is not None:
        with contextlib.suppress(ValidationFailed):  # no open day: the form starts empty
            start = services.default_start(access.clinic, rec.date, timezone.now())
            zone = zoneinfo.ZoneInfo(access.clinic.time_zone)
            initial = start.astimezone(zone).replace(tzinfo=None)  # clinic time
    return "web/outcomes/_tab.html", {
        "state": state,
        "panels": [charts.outcome_panel(o, state.scores) for o in state.outcomes],
        "accept_form": AcceptForm(initial={"scheduled_start": initial}),
        "dismiss_form": DismissForm(),
        "can_decide": state.can_decide
        and access.can(Permission.SCHEDULE_SESSIONS)
        and not patient.is_archived,
        "events": services.clinical_events_of(clinic=access.clinic, patient=patient),
        "event_form": ClinicalEventForm(),
        "can_record_events": access.can(Permission.EDIT_CLINICAL) and not patient.is_archived,
        "sustain_rule": state.config.rules.relapse_rule.value == "madrs_threshold",
    }


register_tab("outcomes", "Outcomes", _tab)


def _back(access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    return redirect(
        "patient_chart_section",
        clinic_slug=access.clinic.slug,
        patient_id=patient_id,
        section="outcomes",
    )


@require_POST
@clinic_view
def recommendation_accept(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)  # another clinic's patient: 404
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a valid start time, or leave it empty.")
        return _back(access, patient_id)
    start = form.cleaned_data["scheduled_start"]
    try:
        decision = services.recommendation_accept(
            access=access, patient_id=patient_id, scheduled_start=start
        )
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        assert decision.booked_session is not None
        when = timezone.localtime(decision.booked_session.scheduled_start)
        messages.success(
            request, f"Recommendation accepted: session booked for {when:%Y-%m-%d %H:%M}."
        )
    return _back(access, patient_id)


@require_POST
@clinic_view
def recommendation_dismiss(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the recommendation is dismissed.")
        return _back(access, patient_id)
    try:
        services.recommendation_dismiss(
            access=access, patient_id=patient_id, reason=form.cleaned_data["reason"]
        )
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        messages.success(request, "Recommendation dismissed.")
    return _back(access, patient_id)


class WorklistFilter(forms.Form):
    kind = forms.ChoiceField(
        required=False, label="Kind", choices=[("", "All kinds"), *KINDS.items()]
    )
    clinician = forms.TypedChoiceField(required=False, label="Clinician", coerce=int)
    sort = forms.ChoiceField(required=False, label="Sort", choices=list(SORTS.items()))

    def __init__(self, data: Mapping[str, Any], clinicians: Mapping[int, str] | None) -> None:
        """With the clinicians on the list, the form to show; without, the choice to read
        before the list is built (any clinician's number)."""
        super().__init__(data)
        if clinicians is None:
            self.fields["clinician"] = forms.IntegerField(required=False, min_value=0)
            return
        self.fields["clinician"].choices = [  # type: ignore[attr-defined]
            ("", "All clinicians"),
            *sorted(clinicians.items(), key=lambda pair: pair[1].casefold()),
            (UNASSIGNED, "No prescriber yet"),
        ]

    def choice(self) -> dict[str, Any]:
        """The rows asked for; an unknown choice (a stale link) shows everything."""
        data = self.cleaned_data if self.is_valid() else {}
        clinician = data.get("clinician")
        return {
            "kind": data.get("kind") or "",
            "prescriber_id": clinician if isinstance(clinician, int) else None,
            "sort": data.get("sort") or "urgency",
        }


@clinic_view
def worklist(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    chosen = WorklistFilter(request.GET, None).choice()
    cursor = request.GET.get("cursor", "")
    try:
        opened = worklist_open(access=access, now=timezone.now(), **chosen, cursor=cursor)
    except ValidationFailed:  # a stale or edited page link: the first page instead
        cursor = ""
        opened = worklist_open(access=access, now=timezone.now(), **chosen)
    form = WorklistFilter(request.GET, opened.work.clinicians)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"access": access, "work": opened.work, "form": form, "chosen": chosen}
    context |= {"rows": opened.rows, "matching": opened.matching}
    context |= {"next_cursor": opened.next_cursor, "cursor": cursor}
    context["query"] = query.urlencode()
    partial = request.htmx  # type: ignore[attr-defined]
    template = "web/outcomes/_worklist_rows.html" if partial else "web/outcomes/worklist.html"
    return render(request, template, context)


# --- dashboard ---------------------------------------------------------------------------


class FilterForm(forms.Form):
    date_from = forms.DateField(
        required=False, label="First dose from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )
    instrument = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Clinic default"),
            *[(c, get_instrument(c).abbreviation) for c in JUDGED_INSTRUMENTS],
        ],
    )
    lines = forms.BooleanField(required=False, label="Individual lines")
    prescriber = forms.IntegerField(required=False, widget=forms.HiddenInput)
    protocol = forms.CharField(required=False, widget=forms.HiddenInput)
    route = forms.CharField(required=False, widget=forms.HiddenInput)
    indication = forms.CharField(required=False, widget=forms.HiddenInput)

    def filters(self) -> outcome_dashboard.Filters:
        data = self.cleaned_data if self.is_valid() else {}
        return outcome_dashboard.Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            instrument=data.get("instrument") or None,
            prescriber_id=data.get("prescriber"),
            protocol=data.get("protocol") or None,
            route=data.get("route") or None,
            indication=data.get("indication") or None,
        )


def _csv(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> HttpResponse:
    return csv_response(f"{name}.csv", [header, *rows])


@clinic_view
def outcomes_dashboard(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    form = FilterForm(request.GET or None)
    with replica_reads():  # a report and research export: from the replica, if any
        board = outcome_dashboard.dashboard_open(
            access=access,
            filters=form.filters() if request.GET else outcome_dashboard.Filters(),
            now=timezone.now(),
            individual_lines=request.GET.get("lines") == "on",
        )
    tables = charts.dashboard_tables(board)
    wanted = request.GET.get("csv")
    if wanted in tables:
        header, rows = tables[wanted]
        return _csv(f"outcomes-{wanted}", header, rows)
    query = request.GET.copy()
    query.pop("csv", None)
    return render(
        request,
        "web/outcomes/dashboard.html",
        {
            "access": access,
            "board": board,
            "form": form if request.GET else FilterForm(),
            # The page gives the curve every LANDMARK_DAYS; its CSV link gives every step.
            "tables": tables | {"durability": charts.durability_landmarks(board)},
            "km_figure": charts.km_figure(board),
            "trajectory_figure": charts.trajectory_figure(board),
            "query": query.urlencode(),
        },
    )


# --- settings ----------------------------------------------------------------------------


@clinic_view
def outcome_settings(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    if not (access.can(Permission.VIEW_CHART) or access.can(Permission.MANAGE_PROTOCOLS)):
        raise PermissionDenied("You may not see the outcome settings.")
    errors: dict[str, list[str]] = {}
    posted: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        access.require(Permission.MANAGE_PROTOCOLS)
        rows = setting_rows(config_for(access.clinic))
        posted = {row.key: request.POST.get(row.key, "") for row in rows if row.key in request.POST}
        try:
            services.outcome_settings_update(access=access, values=posted)
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, "Outcome settings saved.")
            return redirect("outcome_settings", clinic_slug=access.clinic.slug)
    return render(
        request,
        "web/outcomes/settings.html",
        {
            "access": access,
            "rows": setting_rows(config_for(access.clinic)),
            "errors": errors,
            "posted": posted,
            "can_edit": access.can(Permission.MANAGE_PROTOCOLS),
        },
        status=status,
    )


# --- patient report ----------------------------------------------------------------------


@clinic_view
def patient_report(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    content = report.report_open(access=access, patient_id=patient_id, now=timezone.now())
    return render(request, "web/outcomes/report.html", {"access": access, "r": content})


@clinic_view
def patient_report_pdf(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    content = report.report_open(
        access=access, patient_id=patient_id, now=timezone.now(), export=True
    )
    pdf = report.render_pdf(content, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"report-{content.patient.mrn}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _say_field_errors(request: HttpRequest, errors: Mapping[str, Sequence[str]]) -> None:
    for name, messages_ in errors.items():
        for message in messages_:
            messages.error(request, f"{EVENT_FIELDS.get(name, name)}: {message}")


@require_POST
@clinic_view
def clinical_event_create(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    """Record a hospitalisation, suicide attempt or other event to prevent suicide."""
    patient_get(access=access, patient_id=patient_id)  # another clinic's patient: 404
    form = ClinicalEventForm(request.POST)
    if not form.is_valid():
        _say_field_errors(request, {k: [str(m) for m in v] for k, v in form.errors.items()})
        return _back(access, patient_id)
    try:
        event = services.clinical_event_record(
            access=access, patient_id=patient_id, **form.cleaned_data
        )
    except ValidationFailed as exc:
        _say_field_errors(request, exc.errors)
    else:
        messages.success(request, f"Recorded: {event.get_kind_display().lower()}.")
    return _back(access, patient_id)


@require_POST
@clinic_view
def clinical_event_in_error(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, event_id: uuid.UUID
) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)
    try:
        services.clinical_event_mark_in_error(
            access=access,
            patient_id=patient_id,
            event_id=event_id,
            reason=str(request.POST.get("reason", "")),
        )
    except ValidationFailed as exc:
        for errors in exc.errors.values():
            for error in errors:
                messages.error(request, f"Why it is entered in error: {error}")
    else:
        messages.success(request, "Event marked entered in error: it no longer counts.")
    return _back(access, patient_id)
