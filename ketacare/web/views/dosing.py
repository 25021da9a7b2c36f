"""The chart's "Plan & orders" tab (plans, their calendar, dose orders and their
double-check, a live dose preview) and the clinic's protocol, dosing-settings and
calendar pages. Thin: forms parse, services decide."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.dosing import schedule, selectors, services
from ketacare.dosing.calculator import (
    DEFAULT_POLICY,
    Basis,
    BasisPolicy,
    ceiling_basis,
    default_mg_ceiling,
)
from ketacare.dosing.models import TreatmentPlan
from ketacare.dosing.protocols import (
    ADJUSTABLE_FIELDS,
    BOOL_FIELDS,
    INT_FIELDS,
    NULLABLE_FIELDS,
    SHIPPED,
    TEXT_FIELDS,
    Indication,
    adjustable_values,
    schedule_label,
)
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.treatment.models import TreatmentSession
from ketacare.web.feedback import error_lines, flash_failure, flash_form_errors
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import register_tab
from ketacare.web.views.sessions import DateTimeInput


class DateInput(forms.DateInput):
    input_type = "date"


def _protocol_choices(access: ClinicAccess) -> list[tuple[str, str]]:
    return [
        (p.code, p.name + (" (research only)" if p.research_only else ""))
        for p in selectors.protocol_catalogue(clinic=access.clinic)
    ]


def _schedule_choices(access: ClinicAccess) -> list[tuple[str, str]]:
    options = {
        code: schedule_label(phases)
        for p in selectors.protocol_catalogue(clinic=access.clinic)
        for code, phases in p.schedules.items()
    }
    return sorted(options.items())


class DoseFields(forms.Form):
    protocol_code = forms.ChoiceField(label="Protocol")
    concentration_mg_per_ml = forms.DecimalField(
        label="Concentration (mg/mL)", required=False, min_value=Decimal("0.001")
    )
    infusion_minutes = forms.IntegerField(
        label="Infusion minutes", required=False, min_value=1, max_value=600
    )
    weight_basis = forms.ChoiceField(
        label="Weight basis",
        required=False,
        choices=[("", "Clinic policy")] + [(b.value, b.value) for b in Basis],
    )

    def __init__(self, access: ClinicAccess, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol_code"].choices = _protocol_choices(access)  # type: ignore[attr-defined]


class OrderForm(DoseFields):
    dose = forms.DecimalField(label="Dose (mg/kg or mg)", min_value=Decimal("0.001"))
    plan_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def dose_input(self) -> services.DoseInput:
        data = self.cleaned_data
        return services.DoseInput(
            protocol_code=data["protocol_code"],
            dose=data["dose"],
            concentration_mg_per_ml=data["concentration_mg_per_ml"],
            infusion_minutes=data["infusion_minutes"],
            weight_basis=data["weight_basis"] or None,
        )


class PlanForm(DoseFields):
    indication = forms.ChoiceField(
        choices=[(i.value, i.value.replace("_", " ")) for i in Indication]
    )
    schedule = forms.ChoiceField(label="Frequency")
    start_date = forms.DateField(widget=DateInput())
    session_time = forms.TimeField(
        initial=dt.time(9, 0), widget=forms.TimeInput(attrs={"type": "time"})
    )
    start_dose = forms.DecimalField(label="Starting dose (mg/kg or mg)", min_value=Decimal("0.001"))
    titration_step = forms.DecimalField(
        label="Titration step per session", required=False, min_value=Decimal("0.001")
    )

    def __init__(self, access: ClinicAccess, *args: Any, **kwargs: Any) -> None:
        super().__init__(access, *args, **kwargs)
        self.fields["schedule"].choices = _schedule_choices(access)  # type: ignore[attr-defined]

    def plan_input(self) -> services.PlanInput:
        data = self.cleaned_data
        return services.PlanInput(
            indication=data["indication"],
            protocol_code=data["protocol_code"],
            schedule=data["schedule"],
            start_date=data["start_date"],
            start_dose=data["start_dose"],
            titration_step=data["titration_step"],
            session_time=data["session_time"],
        )


class PlanChangeForm(forms.Form):
    schedule = forms.CharField(required=False, label="Frequency")
    start_dose = forms.DecimalField(required=False, min_value=Decimal("0.001"))
    titration_step = forms.DecimalField(required=False, min_value=Decimal("0.001"))
    status = forms.ChoiceField(required=False, choices=[("", "—"), *TreatmentPlan.Status.choices])
    reason = forms.CharField(max_length=300)

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason" and v not in (None, "")}


class RescheduleForm(forms.Form):
    scheduled_start = forms.DateTimeField(widget=DateTimeInput(), label="New start")
    override_reason = forms.CharField(
        max_length=300, required=False, label="Reason to proceed despite a rule"
    )


class CheckForm(forms.Form):
    note = forms.CharField(max_length=300, required=False)


# --- the tab -----------------------------------------------------------------------------


def _weeks(plan: TreatmentPlan, sessions: list[TreatmentSession]) -> list[tuple[int, list[Any]]]:
    """The plan's sessions by course week (week 1 starts on the plan's start date)."""
    weeks: dict[int, list[Any]] = {}
    for s in sessions:
        week = (plan.clinic.date_of(s.scheduled_start) - plan.start_date).days // 7 + 1
        weeks.setdefault(week, []).append(s)
    return sorted(weeks.items())


def _plan_view(access: ClinicAccess, plan: TreatmentPlan) -> dict[str, Any]:
    protocol = selectors.protocol_definition(clinic=access.clinic, code=plan.protocol_code)
    sessions = list(selectors.plan_sessions(plan))
    live = [s for s in sessions if s.status != TreatmentSession.Status.CANCELLED]
    integration = []
    if protocol.integration_sessions:
        planned = [
            schedule.PlannedSession(
                s.plan_number or 0,
                plan.clinic.date_of(s.scheduled_start),
                "",
                Decimal(0),
            )
            for s in live
        ]
        integration = schedule.integration_days(planned, selectors.calendar_rules(access.clinic))
    return {
        "plan": plan,
        "indication": plan.indication.replace("_", " "),
        "protocol": protocol,
        "weeks": _weeks(plan, live),
        "cancelled": len(sessions) - len(live),
        "integration_days": integration,
        "versions": list(plan.versions.select_related("changed_by")),
        "change_form": PlanChangeForm(initial={"schedule": plan.schedule}),
    }


PREVIEW_DEFAULTS = {"protocol_code": "iv_ketamine", "concentration_mg_per_ml": 10}


def plan_tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    active = not patient.is_archived
    return "web/dosing/_tab.html", {
        "plans": [_plan_view(access, p) for p in selectors.plans_of(patient=patient)],
        "orders": list(selectors.orders_of(patient=patient)),
        "plan_form": PlanForm(access, initial=PREVIEW_DEFAULTS, auto_id="plan_%s"),
        "order_form": OrderForm(access, initial=PREVIEW_DEFAULTS, auto_id="order_%s"),
        "reschedule_form": RescheduleForm(),
        "check_form": CheckForm(),
        "can_order": access.can(Permission.ORDER_DOSES) and active,
        "can_check": access.can(Permission.DOUBLE_CHECK_DOSES) and active,
        "can_schedule": access.can(Permission.SCHEDULE_SESSIONS) and active,
    }


register_tab("plan", "Plan & orders", plan_tab)


def _back(access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    return redirect(
        "patient_chart_section",
        clinic_slug=access.clinic.slug,
        patient_id=patient_id,
        section="plan",
    )


def _messages_of(exc: ValidationFailed) -> str:
    return "; ".join(error_lines(exc.errors))


def _run(request: HttpRequest, form: forms.Form, action: Callable[[], Any], done: str) -> None:
    if not form.is_valid():
        flash_form_errors(request, form)
        return
    try:
        action()
    except ValidationFailed as exc:
        flash_failure(request, exc, form)
    else:
        messages.success(request, done)


@clinic_view
def dose_preview(request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    """The live preview under the order and plan forms (htmx): what the dose would be, from
    the chart's latest weight. Stores nothing; audited as a view of the chart."""
    patient = patient_get(access=access, patient_id=patient_id)
    data = request.GET if request.method == "GET" else request.POST
    values = data.copy()
    if not values.get("dose"):  # the plan form names it start_dose
        values["dose"] = data.get("start_dose", "")
    form = OrderForm(access, values)
    context: dict[str, Any] = {"result": None, "error": ""}
    if form.is_valid():
        try:
            context["result"] = services.dose_preview(
                access=access, patient_id=patient.pk, given=form.dose_input()
            )
        except ValidationFailed as exc:
            context["error"] = _messages_of(exc)
    else:
        context["error"] = "Fill in the protocol, dose and concentration to see the dose."
    return render(request, "web/dosing/_preview.html", context)


@require_POST
@clinic_view
def order_create(request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)
    form = OrderForm(access, request.POST)
    _run(
        request,
        form,
        lambda: services.order_create(
            access=access,
            patient_id=patient_id,
            given=form.dose_input(),
            plan_id=form.cleaned_data["plan_id"],
        ),
        "Dose ordered. It needs a second clinician's double-check.",
    )
    return _back(access, patient_id)


@require_POST
@clinic_view
def order_double_check(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, order_id: uuid.UUID
) -> HttpResponse:
    selectors.order_get(access=access, patient_id=patient_id, order_id=order_id)
    form = CheckForm(request.POST)
    _run(
        request,
        form,
        lambda: services.order_double_check(
            access=access, patient_id=patient_id, order_id=order_id, note=form.cleaned_data["note"]
        ),
        "Double-check recorded.",
    )
    return _back(access, patient_id)


@require_POST
@clinic_view
def plan_create(request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)
    form = PlanForm(access, request.POST)

    def create() -> None:
        result = services.plan_create(access=access, patient_id=patient_id, given=form.plan_input())
        for gap in result.unplaced:
            messages.warning(request, f"{gap.phase}, from {gap.period_start}: {gap.reason}")

    _run(request, form, create, "Plan created and its sessions booked.")
    return _back(access, patient_id)


@require_POST
@clinic_view
def plan_change(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, plan_id: uuid.UUID
) -> HttpResponse:
    selectors.plan_get(access=access, patient_id=patient_id, plan_id=plan_id)
    form = PlanChangeForm(request.POST)
    _run(
        request,
        form,
        lambda: services.plan_change(
            access=access,
            patient_id=patient_id,
            plan_id=plan_id,
            changes=form.changes(),
            reason=form.cleaned_data["reason"],
        ),
        "Plan changed; sessions not yet given were re-planned.",
    )
    return _back(access, patient_id)


@require_POST
@clinic_view
def plan_session_reschedule(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    patient_get(access=access, patient_id=patient_id)
    form = RescheduleForm(request.POST)
    _run(
        request,
        form,
        lambda: services.session_reschedule(
            access=access,
            patient_id=patient_id,
            session_id=session_id,
            scheduled_start=form.cleaned_data["scheduled_start"],
            override_reason=form.cleaned_data["override_reason"],
        ),
        "Session moved.",
    )
    return _back(access, patient_id)


# --- clinic pages ------------------------------------------------------------------------


class ProtocolForm(forms.Form):
    """The adjustable fields of a protocol, filled with the clinic's current values."""

    reason = forms.CharField(max_length=300, label="Why this change")

    def __init__(self, values: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ADJUSTABLE_FIELDS:
            if name == "infusion_minutes" and values[name] is None:
                continue  # not an infusion
            field = _protocol_field(name)
            field.initial = values[name]
            field.label = name.replace("_", " ").capitalize()
            self.fields[name] = field

    def overrides(self, current: dict[str, Any]) -> dict[str, Any]:
        """Only the fields that differ from the clinic's current version."""
        changed = {}
        for name, value in self.cleaned_data.items():
            if name != "reason" and value != current[name]:
                changed[name] = str(value) if isinstance(value, Decimal) else value
        return changed


def _protocol_field(name: str) -> forms.Field:
    required = name not in NULLABLE_FIELDS
    if name in BOOL_FIELDS:
        return forms.BooleanField(required=False)
    if name in TEXT_FIELDS:
        return forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    if name in INT_FIELDS:
        return forms.IntegerField(required=required, min_value=0)
    return forms.DecimalField(required=required, min_value=Decimal(0))


@clinic_view
def clinic_protocols(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """The protocol catalogue; ?code= opens one protocol's adjustment form."""
    access.require(Permission.VIEW_CHART)
    code = request.POST.get("code") or request.GET.get("code") or ""
    form = None
    if code:
        current = selectors.protocol_definition(clinic=access.clinic, code=code)
        values = adjustable_values(current)
        form = ProtocolForm(values, request.POST or None)
        if request.method == "POST":
            access.require(Permission.MANAGE_PROTOCOLS)
            if form.is_valid():
                try:
                    saved = services.protocol_adjust(
                        access=access,
                        code=code,
                        overrides=form.overrides(values),
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationFailed as exc:
                    for key, msgs in exc.errors.items():
                        name = key.removeprefix("overrides.")
                        form.add_error(name if name in form.fields else None, msgs)
                else:
                    messages.success(request, f"Saved as version {saved.version}.")
                    return redirect("clinic_protocols", clinic_slug=access.clinic.slug)
    return render(
        request,
        "web/dosing/protocols.html",
        {
            "access": access,
            "protocols": selectors.protocol_catalogue(clinic=access.clinic),
            "code": code,
            "form": form,
            "versions": selectors.protocol_versions(clinic=access.clinic, code=code)
            if code
            else [],
            "can_manage": access.can(Permission.MANAGE_PROTOCOLS),
        },
        status=422 if form is not None and form.errors else 200,
    )


class DosingSettingsForm(forms.Form):
    basis_policy = forms.ChoiceField(choices=[(p.value, p.label) for p in BasisPolicy])
    bmi_threshold = forms.DecimalField()
    adjusted_factor = forms.DecimalField()
    syringe_precision_ml = forms.DecimalField()
    pump_precision_ml_per_h = forms.DecimalField()
    weight_max_age_days = forms.IntegerField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, protocol in SHIPPED.items():  # the absolute mg ceiling of each protocol
            self.fields[f"ceiling_{code}"] = forms.DecimalField(
                required=False,  # left empty: unchanged
                label=f"Ceiling for {protocol.name} (mg)",
                help_text=f"Default {default_mg_ceiling(protocol).normalize():f} mg. "
                f"{ceiling_basis(protocol)}",
            )

    def settings_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("ceiling_")}
        data["mg_ceilings"] = {
            code: self.cleaned_data[f"ceiling_{code}"]
            for code in SHIPPED
            if self.cleaned_data.get(f"ceiling_{code}") is not None
        }
        return data


@clinic_view
def dosing_settings(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    access.require(Permission.VIEW_CHART)
    found = selectors.dosing_settings_for(access.clinic)
    initial = {f: getattr(found, f) for f in services.SETTING_FIELDS if f != "mg_ceilings"}
    initial |= {f"ceiling_{c}": v for c, v in selectors.ceilings_in_force(found).items()}
    form = DosingSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        access.require(Permission.MANAGE_PROTOCOLS)
        if form.is_valid():
            try:
                services.dosing_settings_update(access=access, data=form.settings_data())
            except ValidationFailed as exc:
                for key, msgs in exc.errors.items():
                    name = key.replace("mg_ceilings.", "ceiling_")
                    form.add_error(name if name in form.fields else None, msgs)
            else:
                messages.success(request, "Dosing settings saved.")
                return redirect("dosing_settings", clinic_slug=access.clinic.slug)
    return render(
        request,
        "web/dosing/settings.html",
        {
            "access": access,
            "form": form,
            "defaults": DEFAULT_POLICY,
            "can_manage": access.can(Permission.MANAGE_PROTOCOLS),
        },
        status=422 if form.errors else 200,
    )


WEEKDAYS = [(str(n), name) for n, name in enumerate(schedule.WEEKDAY_NAMES)]


class CalendarForm(forms.Form):
    open_weekdays = forms.MultipleChoiceField(choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple)
    closures = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One a line: YYYY-MM-DD reason",
    )
    daily_capacity = forms.IntegerField(
        required=False, min_value=1, label="Sessions a day (chairs x slots; empty: no limit)"
    )

    def closure_list(self) -> list[dict[str, str]]:
        rows = []
        for line in self.cleaned_data["closures"].splitlines():
            if line.strip():
                day, _, reason = line.strip().partition(" ")
                rows.append({"date": day, "reason": reason})
        return rows


@clinic_view
def clinic_calendar(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    found = selectors.calendar_for(access.clinic)
    initial = {
        "open_weekdays": [str(d) for d in found.open_weekdays],
        "closures": "\n".join(f"{c['date']} {c['reason']}" for c in found.closures),
        "daily_capacity": found.daily_capacity,
    }
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST":
        access.require(Permission.MANAGE_CLINIC_CALENDAR)
        if form.is_valid():
            try:
                services.calendar_update(
                    access=access,
                    open_weekdays=[int(d) for d in form.cleaned_data["open_weekdays"]],
                    closures=form.closure_list(),
                    daily_capacity=form.cleaned_data["daily_capacity"],
                )
            except ValidationFailed as exc:
                form.add_error(None, _messages_of(exc))
            else:
                messages.success(request, "Calendar saved.")
                return redirect("clinic_calendar", clinic_slug=access.clinic.slug)
    return render(
        request,
        "web/dosing/calendar.html",
        {
            "access": access,
            "form": form,
            "can_manage": access.can(Permission.MANAGE_CLINIC_CALENDAR),
        },
        status=422 if form.errors else 200,
    )
