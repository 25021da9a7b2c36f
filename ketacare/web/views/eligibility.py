"""The chart's History and Eligibility tabs, the header's screening summary, and the
clinic's eligibility settings page. Thin: forms parse, services write."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.citations import plain_citation
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.dosing.protocols import SHIPPED
from ketacare.eligibility import selectors, services
from ketacare.eligibility.models import EligibilitySettings, ScreeningResult
from ketacare.eligibility.rules import SETTINGS, EligibilityRules
from ketacare.eligibility.screening import ITEMS, Answer, Outcome
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.web.feedback import flash_failure, flash_form_errors
from ketacare.web.forms import _date_widgets
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import HEADER_EXTRAS, register_tab

HISTORY_LABELS = {"episodes": "Episode", "trials": "Antidepressant trial", "treatments": "Other"}


def history_form_class(kind: str) -> type[forms.ModelForm]:
    model = services.HISTORY_MODELS[kind]
    return forms.modelform_factory(
        model, fields=services.FIELDS[model], widgets=_date_widgets(model)
    )


def history_tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    view = selectors.history_of(patient=patient, today=access.clinic.today())
    return "web/eligibility/_history.html", {
        "history": view,
        # Several forms share field names: ids carry the kind, so each label finds its field.
        "forms": {
            kind: history_form_class(kind)(auto_id=f"id_{kind}_%s")
            for kind in services.HISTORY_MODELS
        },
        "form_labels": HISTORY_LABELS,
        "can_edit": access.can(Permission.EDIT_TREATMENT_HISTORY) and not patient.is_archived,
    }


class ScreeningForm(forms.Form):
    protocol_code = forms.ChoiceField(label="Protocol")
    bp_systolic = forms.IntegerField(
        required=False, min_value=30, max_value=300, label="Systolic blood pressure"
    )
    bp_diastolic = forms.IntegerField(
        required=False, min_value=30, max_value=300, label="Diastolic blood pressure"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        protocol = self.fields["protocol_code"]
        assert isinstance(protocol, forms.ChoiceField)
        protocol.choices = [(c, p.name) for c, p in SHIPPED.items()]
        for item, info in ITEMS.items():
            self.fields[f"item_{item.value}"] = forms.ChoiceField(
                label=info.question
                + (" (contraindication)" if info.contraindication else " (caution)"),
                choices=[(a.value, a.value.capitalize()) for a in Answer],
                initial=Answer.UNKNOWN.value,
                widget=forms.RadioSelect,
            )

    def checklist(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "answers": {item.value: data[f"item_{item.value}"] for item in ITEMS},
            "bp_systolic": data.get("bp_systolic"),
            "bp_diastolic": data.get("bp_diastolic"),
        }


class AcceptForm(forms.Form):
    code = forms.CharField(max_length=80, widget=forms.HiddenInput)
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


def _with_acceptance(screening: ScreeningResult) -> list[dict[str, Any]]:
    still_open = {(r["code"], r["detail"]) for r in selectors.open_cautions(screening)}
    rows = []
    for reason in screening.reasons:
        accepted = reason["acceptable"] and (reason["code"], reason["detail"]) not in still_open
        acceptance = selectors.acceptance_of(screening, reason["code"]) if accepted else None
        rows.append({**reason, "accepted": accepted, "acceptance": acceptance})
    return rows


def eligibility_tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    latest = selectors.latest_screenings(clinic=access.clinic, patient_id=patient.pk)
    results = {s.id: s for s in ScreeningResult.objects.filter(pk__in=[s.id for s in latest])}
    checklist = selectors.current_checklist(patient)
    initial: dict[str, Any] = {}
    if checklist:
        initial = {f"item_{k}": v for k, v in checklist.answers.items()}
        initial |= {"bp_systolic": checklist.bp_systolic, "bp_diastolic": checklist.bp_diastolic}
    return "web/eligibility/_eligibility.html", {
        "latest": [
            {
                "summary": s,
                "screening": results[s.id],
                "reasons": (reasons := _with_acceptance(results[s.id])),
                "open_acceptable": sum(1 for r in reasons if r["acceptable"] and not r["accepted"]),
            }
            for s in latest
        ],
        "past": ScreeningResult.objects.filter(patient=patient)[:30],
        "screening_form": ScreeningForm(initial=initial),
        "can_run": access.can(Permission.RUN_SCREENING) and not patient.is_archived,
        "can_accept": access.can(Permission.ACCEPT_CAUTIONS) and not patient.is_archived,
    }


register_tab("history", "History", history_tab)
register_tab("eligibility", "Eligibility", eligibility_tab)


def header_context(access: ClinicAccess, patient: Patient) -> dict[str, Any]:
    """Context of web/eligibility/_header_summary.html: the latest screening per protocol."""
    if not access.can(Permission.VIEW_CHART):
        return {"screening_summaries": []}
    return {
        "screening_summaries": selectors.latest_screenings(
            clinic=access.clinic, patient_id=patient.pk
        )
    }


HEADER_EXTRAS.append(header_context)


def _back(access: ClinicAccess, patient_id: uuid.UUID, section: str) -> HttpResponse:
    return redirect(
        "patient_chart_section",
        clinic_slug=access.clinic.slug,
        patient_id=patient_id,
        section=section,
    )


def _report(request: HttpRequest, form: forms.BaseForm) -> None:
    flash_form_errors(request, form)


@require_POST
@clinic_view
def history_add(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, kind: str
) -> HttpResponse:
    if kind not in services.HISTORY_MODELS:
        raise Http404("No such history section")
    patient_get(access=access, patient_id=patient_id)  # another clinic's patient: 404
    form = history_form_class(kind)(request.POST)
    if not form.is_valid():
        _report(request, form)
        return _back(access, patient_id, "history")
    try:
        services.history_add(
            access=access,
            patient_id=patient_id,
            model=services.HISTORY_MODELS[kind],
            data=form.cleaned_data,
        )
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        messages.success(request, f"{HISTORY_LABELS[kind]} saved.")
    return _back(access, patient_id, "history")


@require_POST
@clinic_view
def history_retract(
    request: HttpRequest,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    kind: str,
    entry_id: uuid.UUID,
) -> HttpResponse:
    model = services.HISTORY_MODELS.get(kind)
    if model is None:
        raise Http404("No such history section")
    patient_get(access=access, patient_id=patient_id)
    if not model._default_manager.filter(
        clinic=access.clinic, patient_id=patient_id, pk=entry_id
    ).exists():
        raise NotFound(kind)
    try:
        services.history_mark_entered_in_error(
            access=access,
            patient_id=patient_id,
            model=model,
            record_id=entry_id,
            reason=request.POST.get("reason", ""),
        )
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        messages.success(request, "Entry marked as entered in error.")
    return _back(access, patient_id, "history")


@require_POST
@clinic_view
def screening_run(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)
    form = ScreeningForm(request.POST)
    if not form.is_valid():
        _report(request, form)
        return _back(access, patient_id, "eligibility")
    try:
        result = services.screening_run(
            access=access,
            patient_id=patient_id,
            protocol_code=form.cleaned_data["protocol_code"],
            checklist=form.checklist(),
        )
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        said = messages.success if result.outcome == Outcome.ELIGIBLE else messages.warning
        said(request, f"Screened: {result.outcome.replace('_', ' ')}.")
    return _back(access, patient_id, "eligibility")


@require_POST
@clinic_view
def caution_accept(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, screening_id: uuid.UUID
) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)
    if not ScreeningResult.objects.filter(
        clinic=access.clinic, patient_id=patient_id, pk=screening_id
    ).exists():
        raise NotFound("screening")
    form = AcceptForm(request.POST)
    if not form.is_valid():
        _report(request, form)
        return _back(access, patient_id, "eligibility")
    try:
        services.caution_accept(
            access=access,
            patient_id=patient_id,
            screening_id=screening_id,
            code=form.cleaned_data["code"],
            justification=form.cleaned_data["justification"],
        )
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        messages.success(request, "Caution accepted.")
    return _back(access, patient_id, "eligibility")


JUSTIFICATION_PREFIX = "justification:"


@require_POST
@clinic_view
def cautions_accept(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, screening_id: uuid.UUID
) -> HttpResponse:
    """Accept every caution of the screening whose justification was written, in one
    service call (one transaction); a caution left blank stays open."""
    patient_get(access=access, patient_id=patient_id)
    screening = ScreeningResult.objects.filter(
        clinic=access.clinic, patient_id=patient_id, pk=screening_id
    ).first()
    if screening is None:
        raise NotFound("screening")
    justifications = {
        name.removeprefix(JUSTIFICATION_PREFIX): text
        for name in request.POST
        if name.startswith(JUSTIFICATION_PREFIX) and (text := request.POST.get(name, "").strip())
    }
    try:
        accepted = services.cautions_accept(
            access=access,
            patient_id=patient_id,
            screening_id=screening_id,
            justifications=justifications,
        )
    except ValidationFailed as exc:
        flash_failure(request, exc, labels=caution_labels(screening))
    else:
        count = len(accepted)
        messages.success(request, f"{count} caution{'s' if count != 1 else ''} accepted.")
    return _back(access, patient_id, "eligibility")


def caution_labels(screening: ScreeningResult) -> dict[str, str]:
    """Each caution's fields named as the page shows them: "Justification for <caution>"."""
    labels = {"cautions": "Cautions"}
    for reason in screening.reasons:
        what = reason["text"] + (f" ({reason['detail']})" if reason.get("detail") else "")
        for field, word in (("justification", "Justification"), ("code", "Caution")):
            labels[f"cautions.{reason['code']}.{field}"] = f"{word} for “{what}”"
        labels[f"cautions.{reason['code']}.screening"] = f"Screening for “{what}”"
    return labels


# --- clinic settings ---------------------------------------------------------------------


class SettingsForm(forms.Form):
    """Every setting, blank meaning "use the cited default"."""

    def __init__(self, *args: Any, current: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = EligibilityRules()
        for name, setting in SETTINGS.items():
            default = getattr(defaults, name)
            help_text = f"Default: {_shown(default)}. Basis: {plain_citation(setting.source.label)}"
            if name == "min_daily_dose_mg":
                field: forms.Field = forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 6}), required=False
                )
            elif isinstance(default, bool):
                field = forms.NullBooleanField(required=False)
            elif isinstance(default, float):
                field = forms.FloatField(required=False)
            else:
                field = forms.IntegerField(required=False)
            field.label = f"{setting.label}" + (f" ({setting.unit})" if setting.unit else "")
            field.help_text = help_text
            value = current.get(name)
            if name == "min_daily_dose_mg" and value is not None:
                value = json.dumps(value, indent=1)
            field.initial = value
            self.fields[name] = field

    def overrides(self) -> dict[str, Any]:
        values = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if "min_daily_dose_mg" in values:
            try:
                table = json.loads(values["min_daily_dose_mg"])
            except ValueError as exc:
                raise ValidationFailed.single(
                    "min_daily_dose_mg", 'Write a table like {"sertraline": 50}.'
                ) from exc
            values["min_daily_dose_mg"] = table
        return values


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "items"):
        return ", ".join(f"{k} {v:g}" for k, v in value.items())
    return f"{value:g}" if isinstance(value, float) else str(value)


@clinic_view
def eligibility_settings(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    access.require(Permission.MANAGE_PROTOCOLS)
    stored = EligibilitySettings.objects.filter(clinic=access.clinic).first()
    current = dict(stored.overrides) if stored else {}
    form = SettingsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(access=access, overrides=form.overrides())
        except ValidationFailed as exc:
            for field, msgs in exc.errors.items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, msg)
        else:
            messages.success(request, "Eligibility settings saved.")
            return redirect("eligibility_settings", clinic_slug=access.clinic.slug)
    rules = selectors.clinic_rules(access.clinic)
    in_force = [
        (s.label, _shown(getattr(rules, name)), s.unit, name in current, s.source)
        for name, s in SETTINGS.items()
    ]
    return render(
        request,
        "web/eligibility/settings.html",
        {"access": access, "form": form, "in_force": in_force},
    )
