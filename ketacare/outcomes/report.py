"""The patient report: a course summary for referring clinicians and insurers'
prior-authorisation reviews, as an HTML page and as a PDF (WeasyPrint). The symptom chart
is an SVG drawn here, so the PDF needs no JavaScript.

Parts that other capabilities own are seams, filled by the integrator:
`resistance_history` (ketacare.eligibility: treatment-resistance history and staging),
`plan_summary` (ketacare.dosing: protocol and plan), `session_doses` (dose and route per
session) and `adverse_events` (ketacare.treatment charting). Until then the report says
"not recorded in this version" for them rather than leaving them out silently.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from html import escape

from django.db import transaction
from django.template.loader import render_to_string

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.measures.models import Score
from ketacare.outcomes.course import CourseOutcome, Status
from ketacare.outcomes.services import PatientOutcomes, outcomes_of
from ketacare.patients.models import Diagnosis, Patient
from ketacare.patients.selectors import patient_get
from ketacare.treatment.models import TreatmentSession

CHART_W, CHART_H, PAD = 640, 220, 36


@dataclass(frozen=True)
class StatusLine:
    instrument: str
    label: str
    words: str
    at: dt.datetime | None
    reason: str


@dataclass
class ReportContent:
    patient: Patient
    generated_at: dt.datetime
    state: PatientOutcomes
    diagnoses: list[Diagnosis]
    sessions: list[TreatmentSession]
    statuses: list[StatusLine]
    side_effects: list[Score]
    chart_svg: str
    resistance: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    doses: dict[uuid.UUID, str] = field(default_factory=dict)
    adverse_events: list[str] = field(default_factory=list)


# --- seams for the other capabilities ----------------------------------------------------


def resistance_history(patient: Patient) -> list[str]:
    return []


def plan_summary(patient: Patient) -> list[str]:
    return []


def session_doses(sessions: list[TreatmentSession]) -> dict[uuid.UUID, str]:
    return {}


def adverse_events(patient: Patient) -> list[str]:
    return []


# --- building ----------------------------------------------------------------------------


def _statuses(outcomes: list[CourseOutcome]) -> list[StatusLine]:
    lines = []
    for o in outcomes:
        for attr, label in (
            ("response", "Response"),
            ("remission", "Remission"),
            ("relapse", "Relapse"),
        ):
            verdict = getattr(o, attr)
            words = {
                Status.MET: "Yes",
                Status.NOT_MET: "No",
                Status.MISSING: "Missing data",
                Status.NOT_APPLICABLE: "Not applicable",
            }[verdict.status]
            at = getattr(verdict, "at", None) or getattr(verdict, "onset_at", None)
            lines.append(StatusLine(o.instrument, label, words, at, verdict.reason))
    return lines


def trajectory_svg(state: PatientOutcomes, instrument: str) -> str:
    """A line of the instrument's totals over time with the given sessions marked."""
    if state.course is None:
        return ""
    points = state.course.course.series(instrument)
    sessions = [s.given_at for s in state.course.course.sessions]
    if not points:
        return ""
    times = [p.taken_at for p in points] + sessions
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    top = max(max(p.value for p in points), 1)

    def x(at: dt.datetime) -> float:
        return PAD + (CHART_W - 2 * PAD) * (at - start).total_seconds() / span

    def y(value: float) -> float:
        return CHART_H - PAD - (CHART_H - 2 * PAD) * value / top

    marks = "".join(
        f'<line x1="{x(at):.1f}" y1="{PAD}" x2="{x(at):.1f}" y2="{CHART_H - PAD}" '
        'stroke="#c0392b" stroke-width="1" stroke-dasharray="3,3"/>'
        for at in sessions
    )
    line = " ".join(f"{x(p.taken_at):.1f},{y(p.value):.1f}" for p in points)
    dots = "".join(
        f'<circle cx="{x(p.taken_at):.1f}" cy="{y(p.value):.1f}" r="2.5" fill="#1f5f8b"/>'
        for p in points
    )
    title = escape(f"{instrument.upper()} totals over time; dashed lines are sessions given")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_W}" height="{CHART_H}" '
        f'viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="{title}"><title>{title}</title>'
        f'<line x1="{PAD}" y1="{CHART_H - PAD}" x2="{CHART_W - PAD}" y2="{CHART_H - PAD}" '
        'stroke="#555"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{CHART_H - PAD}" stroke="#555"/>'
        f'<text x="4" y="{PAD}" font-size="10">{top}</text>'
        f'<text x="4" y="{CHART_H - PAD}" font-size="10">0</text>'
        f'<text x="{PAD}" y="{CHART_H - 10}" font-size="10">{start:%Y-%m-%d}</text>'
        f'<text x="{CHART_W - PAD - 60}" y="{CHART_H - 10}" font-size="10">{end:%Y-%m-%d}</text>'
        f'{marks}<polyline points="{line}" fill="none" stroke="#1f5f8b" stroke-width="2"/>'
        f"{dots}</svg>"
    )


@transaction.atomic
def report_open(
    *, access: ClinicAccess, patient_id: uuid.UUID, now: dt.datetime, export: bool = False
) -> ReportContent:
    """Everything the report shows; opening (or exporting) it is audited."""
    access.require(Permission.VIEW_CHART)
    patient = patient_get(access=access, patient_id=patient_id)
    state = outcomes_of(access, patient, now)
    sessions = list(
        TreatmentSession.objects.filter(patient=patient, dosing_started_at__isnull=False).order_by(
            "dosing_started_at"
        )
    )
    audit_as(
        access,
        action=Action.EXPORT if export else Action.VIEW,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        details={"section": "report", "format": "pdf" if export else "html"},
    )
    return ReportContent(
        patient=patient,
        generated_at=now,
        state=state,
        diagnoses=list(Diagnosis.objects.filter(patient=patient, entered_in_error_at__isnull=True)),
        sessions=sessions,
        statuses=_statuses(state.outcomes),
        side_effects=list(
            Score.objects.filter(patient=patient, is_current=True, instrument="cadss").order_by(
                "answered_at"
            )
        ),
        chart_svg=trajectory_svg(state, state.config.options.primary_instrument),
        resistance=resistance_history(patient),
        plan=plan_summary(patient),
        doses=session_doses(sessions),
        adverse_events=adverse_events(patient),
    )


def render_pdf(content: ReportContent, *, base_url: str) -> bytes:
    """The report as PDF. WeasyPrint needs Pango (see README: system packages)."""
    from weasyprint import HTML  # imported late: only the PDF needs it

    html = render_to_string("web/outcomes/report_print.html", {"r": content})
    return HTML(string=html, base_url=base_url).write_pdf()
