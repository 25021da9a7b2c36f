"""The patient report: a course summary for referring clinicians and insurers'
prior-authorisation reviews, as an HTML page and as a PDF (WeasyPrint). The symptom chart
is an SVG drawn here, so the PDF needs no JavaScript.

The parts other capabilities own are read here: `resistance_history`
(ketacare.eligibility: resistance status, Thase-Rush stage and Maudsley score, each with
how it was reached), `plan_summary` (ketacare.dosing: each treatment plan's protocol,
start, schedule, version and sessions given), `session_rows` (dose and route per given
session, from its administration record) and `adverse_events` (ketacare.treatment
charting: adverse events and side effects, those entered in error left out). An empty
part says "None recorded". A fixed number of queries, however many sessions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from html import escape

from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.dosing.models import TreatmentPlan
from ketacare.dosing.protocols import Phase, ProtocolDefinition
from ketacare.dosing.selectors import protocol_catalogue
from ketacare.eligibility.selectors import history_of
from ketacare.measures.models import Score
from ketacare.outcomes.course import CourseOutcome, Status
from ketacare.outcomes.dashboard import ROUTE_LABELS
from ketacare.outcomes.services import PatientOutcomes, clinic_today, outcomes_of
from ketacare.patients.models import Diagnosis, Patient
from ketacare.patients.selectors import patient_get
from ketacare.treatment.models import AdverseEvent, SideEffect, TreatmentSession

CHART_W, CHART_H, PAD = 640, 220, 36


def num(value: object) -> str:
    """A stored decimal without its trailing zeros: 56.000 -> '56', 0.500 -> '0.5'."""
    return f"{float(str(value)):g}"


GIVEN = TreatmentSession.GIVEN_STATUSES


@dataclass(frozen=True)
class StatusLine:
    instrument: str
    label: str
    words: str
    at: dt.datetime | None
    reason: str


@dataclass(frozen=True)
class SessionRow:
    """A given session: when dosing began, its plan or protocol, and dose and route."""

    session: TreatmentSession
    given_at: dt.datetime
    course: str
    dose: str


@dataclass
class ReportContent:
    patient: Patient
    generated_at: dt.datetime
    state: PatientOutcomes
    diagnoses: list[Diagnosis]
    sessions: list[SessionRow]
    statuses: list[StatusLine]
    side_effects: list[Score]
    chart_svg: str
    resistance: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    adverse_events: list[str] = field(default_factory=list)


# --- the parts other capabilities own ----------------------------------------------------


def resistance_history(patient: Patient, today: dt.date) -> list[str]:
    """Resistance status and staging, each with how it was reached (eligibility's history
    view), and the antidepressant trials behind them. Empty when nothing is recorded."""
    view = history_of(patient=patient, today=today)
    if not view.trials and not view.others and view.episode is None:
        return []
    lines = []
    if view.episode is not None:
        ep = view.episode
        lines.append(
            f"Current episode since {ep.start_date:%Y-%m-%d}: {ep.get_severity_display().lower()}"
            + (", with psychotic features" if ep.psychotic_features else "")
        )
    for name, derived in (
        ("Treatment-resistance status", view.resistance),
        ("Thase-Rush stage", view.thase_rush),
        ("Maudsley Staging Method", view.maudsley),
    ):
        if derived is None:
            lines.append(f"{name}: not scored (no current episode recorded)")
        else:
            how = "; ".join(derived.how)
            lines.append(f"{name}: {derived.value}" + (f" ({how})" if how else ""))
    for trial in view.trials:
        t = trial.record
        if t.entered_in_error_at is not None:
            continue
        lines.append(
            f"Trial: {t.drug} up to {num(t.max_daily_dose_mg)} mg/day for "
            f"{num(t.weeks_at_dose)} weeks, "
            f"{t.get_outcome_display().lower()}: {trial.adequacy.reason}"
        )
    return lines


def _phases(phases: tuple[Phase, ...]) -> str:
    parts = []
    for phase in phases:
        every = "a week" if phase.period_weeks == 1 else f"every {phase.period_weeks} weeks"
        times = "once" if phase.sessions == 1 else f"{phase.sessions} times"
        parts.append(f"{phase.label}: {times} {every} for {phase.weeks} weeks")
    return "; ".join(parts)


def _protocols(access: ClinicAccess) -> dict[str, ProtocolDefinition]:
    return {p.code: p for p in protocol_catalogue(clinic=access.clinic)}


def plan_summary(
    patient: Patient, protocols: dict[str, ProtocolDefinition], state: PatientOutcomes
) -> list[str]:
    """Each treatment plan, newest first: protocol, indication, start, schedule, current
    version and sessions given (two queries). Without a plan, the protocol of the
    sessions booked one by one, when they name one."""
    plans = list(
        TreatmentPlan.objects.filter(patient=patient)
        .annotate(
            given=Count("sessions", filter=Q(sessions__status__in=GIVEN)),
            booked=Count("sessions", filter=~Q(sessions__status=TreatmentSession.Status.CANCELLED)),
        )
        .order_by("-start_date", "-created_at")
    )
    lines = []
    for plan in plans:
        protocol = protocols.get(plan.protocol_code)
        name = protocol.name if protocol else plan.protocol_code
        phases = protocol.schedules.get(plan.schedule, ()) if protocol else ()
        schedule = _phases(phases) if phases else plan.schedule
        unit = "mg/kg" if protocol and protocol.weight_based else "mg"
        step = f", step {num(plan.titration_step)} {unit}" if plan.titration_step else ""
        lines.append(
            f"{name} (protocol version {plan.protocol_version}) for "
            f"{plan.indication.replace('_', ' ')}: {plan.get_status_display().lower()}, "
            f"from {plan.start_date:%Y-%m-%d} at {plan.session_time:%H:%M}; {schedule}; "
            f"start dose {num(plan.start_dose)} {unit}{step}; plan version {plan.version}; "
            f"{plan.given} of {plan.booked} sessions given"
        )
    course = state.course
    if not plans and course is not None and course.protocol:
        protocol = protocols.get(course.protocol)
        name = protocol.name if protocol else course.protocol
        lines.append(f"No treatment plan: sessions booked one by one under {name}")
    return lines


def session_rows(patient: Patient, protocols: dict[str, ProtocolDefinition]) -> list[SessionRow]:
    """Every given session with dose and route from its administration record (else the
    ordered or planned dose, marked so). One query."""
    sessions = (
        TreatmentSession.objects.filter(patient=patient, status__in=GIVEN)
        .select_related("administration", "plan")
        .order_by("dosing_started_at", "scheduled_start")
    )
    rows = []
    for s in sessions:
        code = s.plan.protocol_code if s.plan else s.protocol_code
        protocol = protocols.get(code)
        course = (protocol.name if protocol else code) or "—"
        if s.plan is not None and s.plan_number:
            course += f", plan session {s.plan_number}"
        rows.append(
            SessionRow(s, s.dosing_started_at or s.scheduled_start, course, _dose_text(s, protocol))
        )
    return rows


def _dose_text(s: TreatmentSession, protocol: ProtocolDefinition | None) -> str:
    given = getattr(s, "administration", None)
    if given is not None:
        route = ROUTE_LABELS.get(given.route, given.route)
        if given.dose_given_mg is not None:
            dose = f"{num(given.dose_given_mg)} mg given"
        else:
            dose = f"{num(given.dose_ordered_mg)} mg ordered (given dose not recorded)"
        return f"{dose}, {given.drug} {route}"
    route = ROUTE_LABELS.get(protocol.route.value, protocol.route.value) if protocol else ""
    tail = f", {route} (not charted)" if route else " (not charted)"
    if s.ordered_dose_mg is not None:
        return f"{num(s.ordered_dose_mg)} mg ordered{tail}"
    if s.planned_dose is not None:
        unit = "mg/kg" if s.planned_dose_unit == "mg_per_kg" else "mg"
        return f"{num(s.planned_dose)} {unit} planned{tail}"
    return "not recorded"


def adverse_events(patient: Patient) -> list[str]:
    """Adverse events, then side effects, charted on the patient's sessions; those
    entered in error are left out. Two queries."""
    lines = []
    for e in AdverseEvent.objects.filter(
        session__patient=patient, entered_in_error_at__isnull=True
    ).order_by("onset_at", "created_at"):
        serious = f"serious ({e.seriousness})" if e.serious else "not serious"
        lines.append(
            f"Adverse event {e.onset_at:%Y-%m-%d}: {e.description}; {serious}; action: "
            f"{e.action_taken}; outcome: {e.get_outcome_display().lower()}"
        )
    for se in SideEffect.objects.filter(
        session__patient=patient, entered_in_error_at__isnull=True
    ).order_by("observed_at", "created_at"):
        detail = f" ({se.description})" if se.description else ""
        score = (
            f", {se.get_sedation_scale_display().split(' ')[0]} {se.sedation_score}"
            if se.sedation_scale and se.sedation_score is not None
            else ""
        )
        lines.append(
            f"Side effect {se.observed_at:%Y-%m-%d}: {se.get_effect_display().lower()}, "
            f"{se.get_severity_display().lower()}{score}{detail}"
        )
    return lines


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
    protocols = _protocols(access)
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
        sessions=session_rows(patient, protocols),
        statuses=_statuses(state.outcomes),
        side_effects=list(
            Score.objects.filter(patient=patient, is_current=True, instrument="cadss").order_by(
                "answered_at"
            )
        ),
        chart_svg=trajectory_svg(state, state.config.options.primary_instrument),
        resistance=resistance_history(patient, clinic_today(access, now)),
        plan=plan_summary(patient, protocols, state),
        adverse_events=adverse_events(patient),
    )


def render_pdf(content: ReportContent, *, base_url: str) -> bytes:
    """The report as PDF. WeasyPrint needs Pango (see README: system packages)."""
    from weasyprint import HTML  # imported late: only the PDF needs it

    html = render_to_string("web/outcomes/report_print.html", {"r": content})
    return HTML(string=html, base_url=base_url).write_pdf()
