"""Patient list, registration and chart pages. Thin: forms parse, services write."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.common.http import HtmxHttpRequest
from ketacare.consent.selectors import treatment_consent_current
from ketacare.patients import rules, services
from ketacare.patients.api import CHART_ENTRY_PATHS
from ketacare.patients.merge import merges_of
from ketacare.patients.models import Patient, PatientRecord
from ketacare.patients.selectors import patient_get, record_get, record_list
from ketacare.treatment.banner import patient_banner
from ketacare.web.feedback import flash_failure
from ketacare.web.forms import PatientForm, ReasonForm, RegistrationForm, entry_form_class
from ketacare.web.views.access import clinic_view

# Tabs on the chart, in order. Later capabilities (sessions, measures, plans) add theirs.
CHART_TABS = [
    ("overview", "Overview"),
    ("weights", "Weight & height"),
    ("allergies", "Allergies"),
    ("medications", "Medications"),
    ("diagnoses", "Diagnoses"),
    ("consents", "Consents"),
    ("measures", "Measures"),
]


def add_errors(form: forms.BaseForm, exc: ValidationFailed) -> None:
    for field, msgs in exc.errors.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


@clinic_view
def patient_list(request: HtmxHttpRequest, access: ClinicAccess) -> HttpResponse:
    query = request.GET.get("q", "")
    include_archived = request.GET.get("archived") == "1"
    page = services.patient_search_audited(
        access=access,
        query=query,
        include_archived=include_archived,
        page=int(request.GET.get("page") or 1) if (request.GET.get("page") or "1").isdigit() else 1,
    )
    context = {
        "access": access,
        "page": page,
        "query": query,
        "include_archived": include_archived,
        "today": access.clinic.today(),
    }
    template = "web/patients/_results.html" if request.htmx else "web/patients/list.html"
    return render(request, template, context)


@clinic_view
def patient_new(request: HtmxHttpRequest, access: ClinicAccess) -> HttpResponse:
    access.require(Permission.REGISTER_PATIENT)
    form = RegistrationForm(request.POST or None)
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        confirm = bool(data.pop("confirm_not_duplicate", False))
        try:
            patient = services.patient_create(
                access=access, data=data, confirm_not_duplicate=confirm
            )
        except services.DuplicateSuspected as exc:
            duplicates = exc.candidates  # shown first, with the choice to register anyway
        except ValidationFailed as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f"Registered {patient.display_name}.")
            return redirect("patient_chart", clinic_slug=access.clinic.slug, patient_id=patient.pk)
    return render(
        request,
        "web/patients/form.html",
        {
            "form": form,
            "access": access,
            "title": "Register a patient",
            "duplicates": duplicates,
        },
    )


@clinic_view
def patient_edit(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    access.require(Permission.REGISTER_PATIENT)
    patient = services.patient_view(access=access, patient_id=patient_id)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(access=access, patient_id=patient.pk, data=form.cleaned_data)
        except ValidationFailed as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "Details saved.")
            return redirect("patient_chart", clinic_slug=access.clinic.slug, patient_id=patient.pk)
    return render(
        request,
        "web/patients/form.html",
        {
            "form": form,
            "access": access,
            "patient": patient,
            "title": f"Edit {patient.display_name}",
        },
    )


@clinic_view
def patient_archive(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)  # another clinic's patient: 404
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_archive(
                access=access, patient_id=patient_id, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            flash_failure(request, exc)
        else:
            messages.success(request, "Patient archived. The record is kept, read-only.")
    return redirect("patient_chart", clinic_slug=access.clinic.slug, patient_id=patient_id)


# Tabs that other capabilities add: section -> function(access, patient) returning the
# tab's template and its context. Registered by their view modules (see web/urls.py).
TabRenderer = Callable[[ClinicAccess, Patient], tuple[str, dict[str, Any]]]
EXTRA_TABS: dict[str, TabRenderer] = {}


# Header parts other capabilities add: function(access, patient) -> template context.
HeaderContext = Callable[[ClinicAccess, Patient], dict[str, Any]]
HEADER_EXTRAS: list[HeaderContext] = []


def register_tab(section: str, label: str, renderer: TabRenderer) -> None:
    EXTRA_TABS[section] = renderer
    if section not in dict(CHART_TABS):
        CHART_TABS.append((section, label))


# Dates that are usually "today" when a nurse records them at the clinic.
DATED_TODAY = ("measured_on", "decided_on", "noted_on")


def _today_for_dates(model: type[PatientRecord], today: dt.date) -> dict[str, Any]:
    return {f: today for f in services.RECORD_FIELDS[model] if f in DATED_TODAY}


def _tab_context(
    access: ClinicAccess, patient: Patient, section: str, form: forms.BaseForm | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "access": access,
        "patient": patient,
        "section": section,
        "section_label": dict(CHART_TABS)[section],
    }
    if section in EXTRA_TABS:
        template, extra = EXTRA_TABS[section](access, patient)
        return context | extra | {"tab_template": template}
    if section == "overview":
        return context | {"tab_template": "web/patients/_overview.html"}
    context["tab_template"] = "web/patients/_entries.html"
    model = CHART_ENTRY_PATHS[section]
    context["entries"] = record_list(access=access, patient_id=patient.pk, model=model)
    initial = _today_for_dates(model, access.clinic.today())
    context["form"] = form or entry_form_class(model)(initial=initial)
    context["can_edit"] = access.can(services.RECORD_PERMISSION[model]) and not patient.is_archived
    context["fields"] = services.RECORD_FIELDS[model]
    return context


CLINICAL_FLAGS = {"allergies_unknown", "no_weight", "weight_stale", "open_safety_alert"}


def _header_context(access: ClinicAccess, patient: Patient) -> dict[str, Any]:
    today = access.clinic.today()
    banner = patient_banner(patient=patient, today=today)
    summary = banner.summary
    latest = summary.latest_measurement
    flags = rules.chart_flags(
        archived=patient.is_archived,
        has_allergy_review=bool(summary.active_allergies) or patient.no_known_allergies,
        latest_weight_on=latest.measured_on if latest else None,
        today=today,
        weight_stale_days=settings.KETACARE_WEIGHT_STALE_DAYS,
        # What the dosing check reads (paper and e-consents, expiry, countersignature).
        treatment_consent=banner.consent.ok
        if banner.protocol_code
        else treatment_consent_current(patient=patient, today=today, form=None),
        open_safety_alerts=banner.open_safety_alerts,
    )
    # Allergies and weights are chart data: roles without view_chart (front desk) see the
    # registry header only, as the API's chart endpoints also refuse them.
    clinical = access.can(Permission.VIEW_CHART)
    extra: dict[str, Any] = {}
    for header in HEADER_EXTRAS:
        extra |= header(access, patient)
    return extra | {
        "merges": merges_of(access=access, patient=patient),
        "can_merge": access.can(Permission.MERGE_PATIENTS),
        "summary": summary,
        "banner": banner,
        "show_clinical": clinical,
        "age": banner.age,
        "bmi": rules.bmi(latest.weight_kg, latest.height_cm)
        if clinical and latest and latest.height_cm
        else None,
        "flags": [f for f in flags if clinical or f.code not in CLINICAL_FLAGS],
        "tabs": [
            (key, label) for key, label in CHART_TABS if access.can(services.CHART_SECTIONS[key])
        ],
    }


@clinic_view
def patient_chart(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID, section: str = "overview"
) -> HttpResponse:
    if section not in services.CHART_SECTIONS:
        raise Http404("No such section")
    patient = services.patient_view(access=access, patient_id=patient_id, section=section)
    context = _tab_context(access, patient, section)
    if request.htmx and request.htmx.target == "chart-tab":
        return render(request, "web/patients/_tab.html", context)
    context |= _header_context(access, patient)
    return render(request, "web/patients/chart.html", context)


@clinic_view
def entry_add(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID, section: str
) -> HttpResponse:
    model = CHART_ENTRY_PATHS.get(section)
    if model is None or request.method != "POST":
        raise Http404("No such section")
    form: forms.ModelForm | None = entry_form_class(model)(request.POST)
    if form is not None and form.is_valid():
        try:
            services.record_add(
                access=access, patient_id=patient_id, model=model, data=form.cleaned_data
            )
        except ValidationFailed as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            form = None
    if form is None and not request.htmx:
        return redirect(
            "patient_chart_section",
            clinic_slug=access.clinic.slug,
            patient_id=patient_id,
            section=section,
        )
    patient = services.patient_view(access=access, patient_id=patient_id, section=section)
    context = _tab_context(access, patient, section, form=form)
    if request.htmx:
        context["htmx_messages"] = True  # the tab swap is the only part of the page redrawn
        response = render(request, "web/patients/_tab.html", context)
        response["HX-Trigger"] = "chart-changed"
        return response
    context |= _header_context(access, patient)
    return render(request, "web/patients/chart.html", context, status=422)


@clinic_view
def entry_retract(
    request: HtmxHttpRequest,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    section: str,
    entry_id: uuid.UUID,
) -> HttpResponse:
    model = CHART_ENTRY_PATHS.get(section)
    form = ReasonForm(request.POST or None)
    if model is None or request.method != "POST":
        raise Http404("No such section")
    # Another clinic's patient or entry is 404 whatever the form holds.
    record_get(access=access, patient_id=patient_id, model=model, record_id=entry_id)
    if form.is_valid():
        try:
            services.record_mark_entered_in_error(
                access=access,
                patient_id=patient_id,
                model=model,
                record_id=entry_id,
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as exc:
            flash_failure(request, exc)
        else:
            messages.success(request, "Entry marked as entered in error.")
    else:
        messages.error(request, "Give a reason to mark an entry in error.")
    return redirect(
        "patient_chart_section",
        clinic_slug=access.clinic.slug,
        patient_id=patient_id,
        section=section,
    )
