"""The session charting page (the nurse's working screen), its alert poll and the REMS
forms list. Thin: forms post to services; refusals come back as messages."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common import clock
from ketacare.common.errors import ValidationFailed
from ketacare.common.http import csv_response
from ketacare.treatment import (
    charting,
    discharge,
    lifecycle,
    monitoring,
    rems,
    rules,
    services,
    validation,
)
from ketacare.treatment.banner import patient_banner
from ketacare.treatment.models import PreDoseAssessment
from ketacare.treatment.selectors import (
    next_actions,
    open_alerts_of,
    prescribers_of,
    rems_form_values,
    rems_form_view,
    session_chart_view,
    session_get,
)
from ketacare.treatment.selectors import (
    rems_form_list as rems_forms_read,
)
from ketacare.web.feedback import flash_failure
from ketacare.web.pdf import html_to_pdf
from ketacare.web.views.access import clinic_view
from ketacare.web.views.session_timeline import timeline_figure

VITAL_INPUTS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate", "moaas")


@clinic_view
def session_page(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    return _page(request, access, patient_id, session_id)


BASELINE_INPUTS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")
PREDOSE_CHECKS = ("fasting_confirmed", "no_decongestant_confirmed")


def predose_values(chart: Any, posted: Any = None) -> dict[str, Any]:
    """What the pre-dose form shows: the saved assessment and baseline, or, when a save
    was refused, what was typed (so nothing typed is lost)."""
    assessment, baseline = chart.assessment, chart.baseline
    weight = assessment.weight if assessment is not None else None
    saved: dict[str, Any] = {
        "weight_kg": f"{weight.weight_kg.normalize():f}" if weight is not None else "",
        **{
            name: ""
            if baseline is None or getattr(baseline, name) is None
            else str(getattr(baseline, name))
            for name in BASELINE_INPUTS
        },
        "pregnancy_test": assessment.pregnancy_test if assessment else "",
        "medicines_today": assessment.medicines_today if assessment else "",
        "medication_changes": assessment.medication_changes if assessment else "",
        **{name: bool(assessment and getattr(assessment, name)) for name in PREDOSE_CHECKS},
    }
    if posted is None:
        return saved
    return {
        name: posted.get(name) == "on" if name in PREDOSE_CHECKS else posted.get(name, "")
        for name in saved
    }


def _page(
    request: HttpRequest,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    status: int = 200,
    posted: Any = None,
) -> HttpResponse:
    chart = session_chart_view(access=access, patient_id=patient_id, session_id=session_id)
    here = request.path
    session = chart.session
    return render(
        request,
        "web/sessions/chart.html",
        {
            "access": access,
            "chart": chart,
            "banner": patient_banner(
                patient=session.patient,
                today=access.clinic.today(),
                protocol_code=session.protocol_code,
            ),
            "session": chart.session,
            "patient": chart.session.patient,
            "next_actions": next_actions(chart),
            "checklist": [
                (name, label, bool(chart.session.discharge_checklist.get(name)))
                for name, label in discharge.CHECKLIST_LABELS.items()
            ],
            "effects": charting.SideEffect.Effect.choices,
            "pregnancy_choices": PreDoseAssessment.Pregnancy.choices,
            "predose": predose_values(chart, posted),
            "outcomes": charting.AdverseEvent.Outcome.choices,
            "ack_actions": _ack_actions(chart.session),
            "can_order": access.can(Permission.ORDER_DOSES),
            "can_chart": access.can(Permission.EDIT_CLINICAL)
            and chart.session.state in lifecycle.CHARTING_STATES,
            "protocols": [(code, p.name) for code, p in rules.SHIPPED.items()],
            "prescribers": prescribers_of(access.clinic),
            "timeline": timeline_figure(chart),
            "cadss_url": reverse(
                "patient_measures",
                kwargs={"clinic_slug": access.clinic.slug, "patient_id": patient_id},
            )
            + "?"
            + urlencode({"record": "cadss6", "session": str(session_id), "next": here})
            + "#record",
        },
        status=status,
    )


@clinic_view
def session_alerts(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    """The fragment every open screen of the session polls (every 2 s). One query; not
    audited per poll: the alerts are part of the session chart whose opening is audited.
    The poll names the alerts it shows (?shown=); while they are still the open ones the
    answer is 204, so htmx leaves the screen alone (a half-filled acknowledgement stays)."""
    access.require(Permission.VIEW_CHART)
    session = session_get(access=access, patient_id=patient_id, session_id=session_id)
    alerts = list(open_alerts_of(session=session))
    if "shown" in request.GET and request.GET["shown"] == alert_ids(alerts):
        return HttpResponse(status=204)
    return render(
        request,
        "web/sessions/_alerts.html",
        {
            "access": access,
            "session": session,
            "alerts": alerts,
            "ack_actions": _ack_actions(session),
        },
    )


def _ack_actions(session: charting.TreatmentSession) -> list[tuple[str, str]]:
    return [(a, monitoring.ACK_LABELS[a]) for a in charting.acknowledgement_actions(session)]


def alert_ids(alerts: list[charting.SessionAlert]) -> str:
    return ",".join(str(a.pk) for a in alerts)


def _int(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.lstrip("-").isdigit() else None


def _dec(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.strip()) if raw.strip() else None
    except InvalidOperation:
        return None


def _vitals(post: Any) -> dict[str, Any]:
    """The typed vital signs; a value that is not a number is refused by its field."""
    values, errors = validation.parse_vitals({name: post.get(name, "") for name in VITAL_INPUTS})
    if errors:
        raise ValidationFailed(errors)
    return values


def _baseline(post: Any) -> dict[str, Any] | None:
    values = _vitals(post)
    return values if any(v is not None for v in values.values()) else None


def _uuid(raw: str) -> uuid.UUID:
    """A malformed id names no entry: the service answers "not found" for it."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return uuid.UUID(int=0)


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


# Order fields named as the form labels them, so an error says which field is wrong.
FIELD_LABELS = {
    "ordered_dose_mg": "Dose for this session",
    "protocol_code": "Protocol",
    "weight_kg": "Weight",
    "height_cm": "Height",
    "first_dose_reason": "Why not the first dose",
    "checked_by": "Double-check",
    "scheduled_start": "Date and time",
    "dosing_started_at": "Dosing started at",
}


ACTIONS: dict[str, Callable[[ClinicAccess, dict[str, Any], Any], Any]] = {
    "check_in": lambda a, ids, p: services.session_transition(access=a, **ids, event="check_in"),
    "mark_ready": lambda a, ids, p: services.session_transition(
        access=a, **ids, event="mark_ready"
    ),
    "order": lambda a, ids, p: services.session_order_set(
        access=a,
        **ids,
        protocol_code=p.get("protocol_code", ""),
        ordered_dose_mg=_dec(p.get("ordered_dose_mg", "")) or Decimal(0),
        first_dose_reason=p.get("first_dose_reason", ""),
    ),
    "order_check": lambda a, ids, p: services.session_order_double_check(access=a, **ids),
    "assign": lambda a, ids, p: services.supervisor_assign(
        access=a, **ids, prescriber_id=_int(p.get("prescriber_id", ""))
    ),
    "attest": lambda a, ids, p: services.supervisor_attest(access=a, **ids),
    "rems_enroll": lambda a, ids, p: services.rems_enroll(
        access=a,
        patient_id=ids["patient_id"],
        enrolled_on=_date(p.get("enrolled_on", "")) or a.clinic.today(),
        status=p.get("status", "enrolled"),
    ),
    "assessment": lambda a, ids, p: services.assessment_save(
        access=a,
        **ids,
        version=_int(p.get("version", "")) or 0,
        data={
            "pregnancy_test": p.get("pregnancy_test", ""),
            "fasting_confirmed": p.get("fasting_confirmed") == "on",
            "no_decongestant_confirmed": p.get("no_decongestant_confirmed") == "on",
            "medicines_today": p.get("medicines_today", ""),
            "medication_changes": p.get("medication_changes", ""),
        },
        weight_kg=_dec(p.get("weight_kg", "")),
        baseline=_baseline(p),
    ),
    "bp_decision": lambda a, ids, p: services.bp_decision_record(
        access=a, **ids, decision=p.get("decision", ""), reason=p.get("reason", "")
    ),
    "start": lambda a, ids, p: charting.administration_start(
        access=a,
        **ids,
        dose_mg=_dec(p.get("dose_mg", "")) or Decimal(0),
        formulation=p.get("formulation", ""),
        lot_number=p.get("lot_number", ""),
        expiry=_date(p.get("expiry", "")) or dt.date.min,
        concentration_mg_per_ml=_dec(p.get("concentration_mg_per_ml", "")),
        pump_rate_ml_per_h=_dec(p.get("pump_rate_ml_per_h", "")),
        injection_site=p.get("injection_site", ""),
        container_ref=p.get("container_ref", ""),
    ),
    "infusion": lambda a, ids, p: charting.infusion_change(
        access=a,
        **ids,
        kind=p.get("kind", ""),
        reason=p.get("reason", ""),
        rate_ml_per_h=_dec(p.get("rate_ml_per_h", "")),
    ),
    "device": lambda a, ids, p: charting.device_give(access=a, **ids),
    "stop": lambda a, ids, p: charting.administration_stop(
        access=a, **ids, dose_given_mg=_dec(p.get("dose_given_mg", "")), reason=p.get("reason", "")
    ),
    "vitals": lambda a, ids, p: charting.vitals_record(
        access=a,
        **ids,
        readings=[charting.ReadingIn(p.get("reading_id", ""), clock.now(), _vitals(p))],
    ),
    "acknowledge": lambda a, ids, p: charting.alert_acknowledge(
        access=a,
        **ids,
        alert_id=uuid.UUID(p.get("alert_id", "")) if p.get("alert_id") else uuid.uuid4(),
        action=p.get("action", ""),
        note=p.get("note", ""),
    ),
    "side_effect": lambda a, ids, p: charting.side_effect_record(
        access=a,
        **ids,
        effect=p.get("effect", ""),
        severity=p.get("severity", ""),
        sedation_scale=p.get("sedation_scale", ""),
        sedation_score=_int(p.get("sedation_score", "")),
        description=p.get("description", ""),
    ),
    "adverse_event": lambda a, ids, p: charting.adverse_event_record(
        access=a,
        **ids,
        description=p.get("description", ""),
        serious=p.get("serious") == "on",
        seriousness=p.get("seriousness", ""),
        action_taken=p.get("action_taken", ""),
        outcome=p.get("outcome", ""),
    ),
    "in_error": lambda a, ids, p: charting.entry_mark_in_error(
        access=a,
        **ids,
        kind=p.get("kind", ""),
        entry_id=_uuid(p.get("entry_id", "")),
        reason=p.get("reason", ""),
    ),
    "rems_submit": lambda a, ids, p: services.rems_form_submit(
        access=a,
        **ids,
        submitted_on=_date(p.get("submitted_on", "")) or a.clinic.today(),
        confirmation_number=p.get("confirmation_number", ""),
    ),
    "checklist": lambda a, ids, p: services.checklist_save(
        access=a,
        **ids,
        version=_int(p.get("version", "")) or 0,
        items={name: p.get(name) == "on" for name in discharge.CHECKLIST_LABELS},
    ),
    "discharge": lambda a, ids, p: services.session_discharge(access=a, **ids),
    "release": lambda a, ids, p: services.discharge_release(
        access=a, **ids, reason=p.get("reason", "")
    ),
    "sign": lambda a, ids, p: services.session_sign(access=a, **ids),
    "addendum": lambda a, ids, p: services.addendum_add(
        access=a, **ids, text=p.get("text", ""), reason=p.get("reason", "")
    ),
}


@require_POST
@clinic_view
def session_act(
    request: HttpRequest,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    action: str,
) -> HttpResponse:
    session = session_get(access=access, patient_id=patient_id, session_id=session_id)
    handler = ACTIONS.get(action)
    if handler is None:
        messages.error(request, f"Unknown action {action!r}.")
    else:
        try:
            handler(
                access, {"patient_id": session.patient_id, "session_id": session.pk}, request.POST
            )
        except ValidationFailed as exc:
            # Refused: nothing was saved; the page answers 422 with every reason.
            flash_failure(request, exc, labels=FIELD_LABELS)
            posted = request.POST if action == "assessment" else None
            return _page(request, access, patient_id, session_id, status=422, posted=posted)
        else:
            messages.success(request, "Saved.")
    return redirect(
        "session_page", clinic_slug=access.clinic.slug, patient_id=patient_id, session_id=session_id
    )


@clinic_view
def rems_form_list(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    rows = rems_forms_read(access=access, include_submitted=request.GET.get("all") == "1")
    return render(request, "web/sessions/rems_list.html", {"access": access, "rows": rows})


@clinic_view
def rems_form_csv(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    """The session's REMS Patient Monitoring Form as CSV (field, value), audited as a view."""
    chart = session_chart_view(access=access, patient_id=patient_id, session_id=session_id)
    values = rems_form_values(chart.session)
    return csv_response(f"rems-form-{session_id}.csv", rems.form_rows(values))


@clinic_view
def rems_form_page(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    """The form as a printable page (print to PDF from the browser)."""
    chart = session_chart_view(access=access, patient_id=patient_id, session_id=session_id)
    values = rems_form_values(chart.session)
    return render(
        request,
        "web/sessions/rems_form.html",
        {
            "access": access,
            "session": chart.session,
            "fields": [(rems.FIELD_LABELS[k], v) for k, v in values.items()],
            "missing": rems.missing_fields(values),
        },
    )


@clinic_view
def rems_form_pdf(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    """The form as a PDF (WeasyPrint), audited as a view of the session."""
    form, values = rems_form_view(access=access, patient_id=patient_id, session_id=session_id)
    html = render_to_string(
        "web/sessions/rems_form_pdf.html",
        {
            "clinic": access.clinic,
            "session": form.session,
            "form": form,
            "fields": [(rems.FIELD_LABELS[k], v) for k, v in values.items()],
            "missing": rems.missing_fields(values),
            "printed": clock.now(),
        },
    )
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="rems-form-{session_id}.pdf"'
    return response
