"""The pharmacology simulator page: choose forms, doses and schedules, compare regimens.

Every number on the page is a model prediction, not a measurement and not dosing advice.
The engine is `ketacare.pharmacology` (pure); this view parses the form, runs it, and
renders the figure. A simulation writes nothing; only a patient's chart read is audited.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import statistics
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings as site_settings
from django.core.validators import MaxValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.dosing.protocols import Route
from ketacare.dosing.selectors import plan_sessions, plan_summary
from ketacare.patients.models import Patient
from ketacare.patients.selectors import chart_summary
from ketacare.patients.services import patient_view
from ketacare.pharmacology import (
    DEFAULT_MODELS,
    MODELS,
    NOT_CONCENTRATION_DRIVEN,
    EffectModel,
    simulate,
)
from ketacare.pharmacology.effect import (
    DEFAULT_HILL,
    DEFAULT_WINDOW_FRACTION,
    OLOFSEN_C50_NG_ML,
    hill_sensitivity,
)
from ketacare.pharmacology.engine import Result
from ketacare.pharmacology.figures import SummaryRow, figure, summary_row
from ketacare.pharmacology.observations import CHECK_WEIGHT_KG, ZARATE_2006, end_of_infusion_check
from ketacare.pharmacology.regimens import Regimen, repeated
from ketacare.web.views.access import clinic_view

MAX_REGIMENS = 4
MAX_POINTS = 1500  # time points per curve on the page: the step follows the horizon

FORMS = {
    "iv": ("IV infusion (racemic ketamine)", Route.IV),
    "intranasal": ("Nasal spray (esketamine)", Route.INTRANASAL),
    "im": ("IM injection (racemic)", Route.IM),
    "oral": ("Oral (racemic)", Route.ORAL),
    "sublingual": ("Sublingual (racemic)", Route.SUBLINGUAL),
    "oral_er": ("Extended-release tablet (racemic)", Route.ORAL_ER),
}
MAX_PLAN_DOSES = 24  # the regimen form's own limit
INDUCTION = dt.timedelta(weeks=4)
DEFAULTS: tuple[dict[str, Any], ...] = (
    {"form": "iv", "dose": 0.5, "unit": "mg_per_kg", "infusion_min": 40, "doses": 1},
    {"form": "intranasal", "dose": 56, "unit": "mg", "infusion_min": 40, "doses": 1},
    {"form": "oral", "dose": 100, "unit": "mg", "infusion_min": 40, "doses": 1},
    {"form": "oral_er", "dose": 180, "unit": "mg", "infusion_min": 40, "doses": 1},
)


class SettingsForm(forms.Form):
    weight_kg = forms.DecimalField(min_value=20, max_value=250, decimal_places=1, initial=70)
    age_years = forms.IntegerField(min_value=18, max_value=100, initial=40)
    hours = forms.DecimalField(
        min_value=1, max_value=24 * 28, decimal_places=1, initial=6, label="Hours shown"
    )
    subjects = forms.IntegerField(  # at most KETACARE_SIMULATOR_MAX_SUBJECTS (__init__)
        min_value=1,
        initial=200,
        help_text="1 = the typical subject; more draws a population band (5th–95th percentile)",
    )
    hill = forms.DecimalField(
        min_value=0.5,
        max_value=8,
        decimal_places=2,
        initial=DEFAULT_HILL,
        label="Hill coefficient",
        help_text="Not published: an assumption (see the sensitivity note below)",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cap = site_settings.KETACARE_SIMULATOR_MAX_SUBJECTS
        field = self.fields["subjects"]
        assert isinstance(field, forms.IntegerField)
        field.max_value = cap
        field.validators.append(MaxValueValidator(cap))
        field.widget.attrs["max"] = cap


def _model_help() -> str:
    """Each form's default model and the blood it stands for, next to the model choice."""
    forms_by_model: dict[str, list[str]] = {}
    for label, route in FORMS.values():
        forms_by_model.setdefault(DEFAULT_MODELS[route].key, []).append(label)
    defaults = [
        f"{', '.join(labels)}: {MODELS[key].title}, {MODELS[key].sampling.label}"
        for key, labels in forms_by_model.items()
    ]
    return (
        "Defaults — "
        + "; ".join(defaults)
        + ". A clinic's blood test is venous; during an IV infusion arterial blood runs higher."
    )


class RegimenForm(forms.Form):
    form = forms.ChoiceField(choices=[(key, label) for key, (label, _) in FORMS.items()])
    model = forms.ChoiceField(
        choices=[("", "Default for the form")]
        + [(k, f"{m.title} — {m.sampling.label}") for k, m in MODELS.items()],
        required=False,
        help_text=_model_help(),
    )
    dose = forms.DecimalField(min_value=0.01, max_value=2000, decimal_places=3)
    unit = forms.ChoiceField(choices=[("mg_per_kg", "mg/kg"), ("mg", "mg")])
    infusion_min = forms.DecimalField(
        min_value=1, max_value=600, decimal_places=1, label="Infusion (min, IV only)"
    )
    doses = forms.IntegerField(min_value=1, max_value=24, label="Number of doses")
    every_hours = forms.DecimalField(
        min_value=1, max_value=24 * 14, decimal_places=1, required=False, label="Every (hours)"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        _, route = FORMS[data["form"]]
        data["model"] = data.get("model") or DEFAULT_MODELS[route].key
        if route not in MODELS[data["model"]].routes:
            self.add_error("model", f"{MODELS[data['model']].title} has no {route} route.")
        if data["doses"] > 1 and not data.get("every_hours"):
            self.add_error("every_hours", "Give the interval between doses.")
        if route is Route.INTRANASAL and (data["unit"] != "mg" or data["dose"] % 28):
            self.add_error("dose", "Esketamine nasal doses are whole 28 mg devices, in mg.")
        return data


@dataclass(frozen=True)
class Simulated:
    label: str
    result: Result
    row: SummaryRow


def _regimen_forms(data: Mapping[str, Any] | None, count: int) -> list[RegimenForm]:
    """Submitted regimens are bound; a regimen just added is a fresh form with defaults."""
    return [
        RegimenForm(
            data if data is not None and f"r{i}-form" in data else None,
            prefix=f"r{i}",
            initial=DEFAULTS[i % len(DEFAULTS)],
        )
        for i in range(count)
    ]


def _regimen(cleaned: Mapping[str, Any], weight_kg: float) -> Regimen:
    _, route = FORMS[cleaned["form"]]
    dose = float(cleaned["dose"])
    amount = dose * weight_kg if cleaned["unit"] == "mg_per_kg" else dose
    return repeated(
        route,
        amount,
        every_hours=float(cleaned.get("every_hours") or 24),
        doses=cleaned["doses"],
        duration_min=float(cleaned["infusion_min"]) if route is Route.IV else 0.0,
    )


def _label(cleaned: Mapping[str, Any]) -> str:
    unit = "mg/kg" if cleaned["unit"] == "mg_per_kg" else "mg"
    label = f"{FORMS[cleaned['form']][0]} {cleaned['dose'].normalize()} {unit}"
    if cleaned["doses"] > 1:
        label += f" ×{cleaned['doses']} every {cleaned['every_hours'].normalize()} h"
    return label


def _patient_start(access: ClinicAccess, patient_id: str) -> tuple[Patient, float | None]:
    """Open the patient's chart weights (audited as a chart read) and answer the latest
    weight. Other clinics' or unknown patients are 404 through `patient_view`."""
    try:
        uuid.UUID(patient_id)
    except ValueError as exc:
        raise Http404("Not found") from exc
    patient = patient_view(access=access, patient_id=patient_id, section="weights")
    latest = chart_summary(patient=patient).latest_measurement
    return patient, float(latest.weight_kg) if latest else None


def active_plan_regimens(access: ClinicAccess, patient: Patient) -> list[dict[str, Any]] | None:
    """The patient's active plan as regimen form initials: its route, starting dose and
    infusion time, and the sessions of its first four weeks (the induction) at their
    median spacing (a plan's real days are irregular, e.g. Mon/Wed/Fri; the user can edit
    the regimen)."""
    summary = plan_summary(patient=patient)
    if summary is None or summary.protocol.route.value not in FORMS:
        return None
    protocol = summary.protocol
    sessions = plan_sessions(summary.plan)[:MAX_PLAN_DOSES]
    starts = [s.scheduled_start for s in sessions]
    starts = [t for t in starts if t - starts[0] < INDUCTION] if starts else []
    gaps = [(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(starts)]
    return [
        {
            "form": protocol.route.value,
            "dose": summary.plan.start_dose,
            "unit": "mg_per_kg" if protocol.weight_based else "mg",
            "infusion_min": protocol.infusion_minutes or 40,
            "doses": max(len(starts), 1),
            "every_hours": round(statistics.median(gaps) * 2) / 2 if gaps else None,
        }
    ]


@clinic_view
def simulator(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    access.require(Permission.USE_SIMULATOR)
    source = request.POST if request.method == "POST" else request.GET
    submitted = "r0-form" in source
    count = _regimen_count(source)
    patient, weight = None, None
    if patient_id := source.get("patient"):
        access.require(Permission.VIEW_CHART)
        patient, weight = _patient_start(access, patient_id)
    settings_form = SettingsForm(
        source if submitted else None, initial={"weight_kg": weight or 70} if weight else None
    )
    plan = active_plan_regimens(access, patient) if patient else None
    regimen_forms = _regimen_forms(source if submitted else None, count)
    if plan and not submitted:
        regimen_forms = [
            RegimenForm(prefix=f"r{i}", initial=initial) for i, initial in enumerate(plan)
        ]
    simulated: list[Simulated] = []
    bound = [f for f in regimen_forms if f.is_bound]
    if submitted and settings_form.is_valid() and all(f.is_valid() for f in bound):
        simulated = _run(settings_form.cleaned_data, [f.cleaned_data for f in bound])
    context = {
        "access": access,
        "settings_form": settings_form,
        "regimen_forms": regimen_forms,
        "can_add": count < MAX_REGIMENS,
        "next_count": count + 1,
        "patient": patient,
        "patient_weight": weight,
        "simulated": simulated,
        "figure": figure([(s.label, s.result) for s in simulated]) if simulated else None,
        "models": MODELS.values(),
        "checks": _venous_checks(),
        "observation": ZARATE_2006,
        "check_weight_kg": CHECK_WEIGHT_KG,
        "not_concentration_driven": NOT_CONCENTRATION_DRIVEN,
        "c50": OLOFSEN_C50_NG_ML,
        "window_fraction": DEFAULT_WINDOW_FRACTION,
        "hill_rows": _hill_rows(simulated),
    }
    return render(request, "web/simulator.html", context)


def _regimen_count(source: Mapping[str, Any]) -> int:
    try:
        count = int(source.get("regimens", 1))
    except (TypeError, ValueError):
        count = 1
    return max(1, min(count, MAX_REGIMENS))


def _run(settings: Mapping[str, Any], regimens: list[Mapping[str, Any]]) -> list[Simulated]:
    hours = float(settings["hours"])
    step = max(1.0, round(hours * 60 / MAX_POINTS))
    effect = EffectModel(hill=float(settings["hill"]))
    weight = float(settings["weight_kg"])
    out = []
    for cleaned in regimens:
        result = simulate(
            MODELS[cleaned["model"]],
            _regimen(cleaned, weight),
            hours=hours,
            step_min=step,
            weight_kg=weight,
            age_years=settings["age_years"],
            subjects=settings["subjects"],
            seed=1,  # the same population on every view: comparisons stay stable
            effect=effect,
        )
        label = _label(cleaned)
        out.append(Simulated(label, result, summary_row(label, result)))
    return out


@functools.cache  # fixed inputs: the same table on every view
def _venous_checks() -> tuple[dict[str, Any], ...]:
    """Each racemic model's typical end-of-infusion Cp against the venous measurement, as
    whole ng/mL and a whole percentage higher or lower."""
    rows = []
    for model in MODELS.values():
        if Route.IV not in model.routes or model.drug != "racemic ketamine":
            continue
        check = end_of_infusion_check(model)
        rows.append(
            {
                "model": model,
                "is_default": model is DEFAULT_MODELS[Route.IV],
                "predicted": round(check.predicted_ng_ml),
                "difference": _percent_difference(check.ratio),
                "within": check.within_tolerance,
            }
        )
    return tuple(rows)


def _percent_difference(ratio: float) -> str:
    percent = round((ratio - 1) * 100)
    if percent == 0:
        return "the same"
    return f"{abs(percent)}% {'higher' if percent > 0 else 'lower'}"


def _hill_rows(simulated: list[Simulated]) -> list[dict[str, Any]]:
    rows = []
    for s in simulated:
        for row in hill_sensitivity(
            s.result.time_min,
            s.result.median("ce"),
            s_fraction=s.result.model.s_fraction,
            effect=s.result.effect,
        ):
            rows.append({"label": s.label, "row": row})
    return rows
