"""Reads of a session's chart: everything the charting page shows in a fixed number of
queries (however many readings), the alerts fragment, and the REMS form values."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Permission, Role, can
from ketacare.audit.services import Action, audit_as
from ketacare.common import clock
from ketacare.common.errors import NotFound
from ketacare.eligibility.selectors import SessionScreening
from ketacare.measures.models import Score
from ketacare.patients.models import Medication
from ketacare.treatment import (
    discharge,
    integration,
    lifecycle,
    monitoring,
    reconcile,
    rems,
    rules,
)
from ketacare.treatment.models import (
    Addendum,
    Administration,
    AdministrationEvent,
    AdverseEvent,
    PreDoseAssessment,
    RemsEnrollment,
    RemsMonitoringForm,
    SessionAlert,
    SideEffect,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatment.services import (
    as_reading,
    discharge_blockers_of,
    due_readings,
    session_settings,
)


def session_get(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> TreatmentSession:
    try:
        session = (
            TreatmentSession.objects.select_related(
                "patient", "supervising_prescriber", "signed_by", "discharged_by", "ordered_by"
            )
            .filter(clinic=access.clinic, patient_id=patient_id, pk=session_id)
            .first()
        )
    except (ValueError, TypeError) as exc:
        raise NotFound("session") from exc
    if session is None:
        raise NotFound("session")
    return session


@dataclass(frozen=True)
class VitalsRow:
    at: dt.datetime
    kind: str  # reading, due or overdue
    reading: VitalReading | None


@dataclass
class SessionChart:
    session: TreatmentSession
    rules: rules.SessionRules
    protocol: Any
    assessment: PreDoseAssessment | None
    readings: list[VitalReading]
    baseline: VitalReading | None
    alerts: list[SessionAlert]
    administration: Administration | None
    events: list[AdministrationEvent]
    side_effects: list[SideEffect]
    adverse_events: list[AdverseEvent]
    addenda: list[Addendum]
    enrolled: bool
    ratings: list[Score]
    order: integration.ActiveOrder
    screening: SessionScreening
    due: list[monitoring.DueReading] = field(default_factory=list)
    now: dt.datetime = field(default_factory=clock.now)

    @property
    def screening_verdict(self) -> tuple[bool, str]:
        return integration.screening_verdict(self.screening, self.session.protocol_code)

    @property
    def open_alerts(self) -> list[SessionAlert]:
        return [a for a in self.alerts if a.acknowledged_at is None]

    @property
    def devices(self) -> list[AdministrationEvent]:
        return [e for e in self.events if e.kind == "device" and e.entered_in_error_at is None]

    @property
    def pump_running(self) -> bool:
        kinds = [e.kind for e in self.events if e.kind in {"start", "pause", "resume"}]
        return bool(kinds) and kinds[-1] != "pause"

    @property
    def pump_delivered(self) -> reconcile.Delivered | None:
        """What the IV pump has delivered by its record (up to its stop, or now)."""
        given = self.administration
        if given is None or given.route != "iv":
            return None
        return reconcile.infusion_delivered(
            [
                reconcile.PumpEvent(e.kind, e.at, e.rate_ml_per_h)
                for e in self.events
                if e.entered_in_error_at is None
            ],
            concentration_mg_per_ml=given.concentration_mg_per_ml or Decimal(0),
            bag_mg=given.dose_ordered_mg,
            until=given.stopped_at or self.now,
        )

    @property
    def stop_reason(self) -> str:
        return next((e.reason for e in self.events if e.kind == "stop"), "")

    @property
    def dose_difference(self) -> str:
        given = self.administration
        if given is None or given.dose_given_mg is None:
            return ""
        return reconcile.difference(given.dose_given_mg, given.dose_ordered_mg)

    @property
    def device_wait(self) -> discharge.Wait:
        return discharge.next_device([e.at for e in self.devices], self.now)

    @property
    def overdue(self) -> list[monitoring.DueReading]:
        return [d for d in self.due if d.overdue(self.now, self._tolerance)]

    @property
    def overdue_latest(self) -> list[monitoring.DueReading]:
        """The latest missed due times, which the page and the API list (the rest are
        counted: a session left open for days has thousands)."""
        return self.overdue[-discharge.LISTED_OVERDUE :]

    @property
    def _tolerance(self) -> dt.timedelta:
        return dt.timedelta(minutes=rules.schedule_for(self.protocol).tolerance_min)

    @property
    def vitals_rows(self) -> list[VitalsRow]:
        """The readings and the scheduled readings still missing, in time order: a missed
        due time is overdue, the next one is due."""
        rows = [VitalsRow(r.taken_at, "reading", r) for r in self.readings]
        missing = [d for d in self.due if d.taken_at is None]
        rows += [VitalsRow(d.due_at, "overdue", None) for d in self.overdue_latest]
        upcoming = [d for d in missing if not d.overdue(self.now, self._tolerance)]
        if upcoming and self.session.state in lifecycle.CHARTING_STATES:
            rows.append(VitalsRow(upcoming[0].due_at, "due", None))
        return sorted(rows, key=lambda row: row.at)

    @property
    def gate_reason(self) -> str:
        if self.baseline is None or self.baseline.systolic is None:
            return ""
        return rules.gate_for(self.rules, self.protocol).closed_by(
            self.baseline.systolic, self.baseline.diastolic or 0
        )

    @property
    def discharge_blockers(self) -> tuple[str, ...]:
        """Why the patient cannot leave yet (shown before the discharge buttons)."""
        if self.session.state not in {
            lifecycle.State.MONITORING,
            lifecycle.State.READY_FOR_DISCHARGE,
        }:
            return ()
        return discharge_blockers_of(self.session)

    @property
    def observation(self) -> discharge.Wait:
        return discharge.observation_wait(
            rules.observation(
                self.rules,
                self.protocol,
                dosing_started=self.session.dosing_started_at,
                dosing_ended=self.session.dosing_ended_at,
            ),
            self.now,
        )


def _due(chart: SessionChart) -> list[monitoring.DueReading]:
    return due_readings(
        chart.session,
        chart.readings,
        settings_=chart.rules,
        charted=chart.administration is not None,
        now=chart.now,
    )


def session_chart(session: TreatmentSession) -> SessionChart:
    """The whole chart of one session: a fixed number of queries, whatever its size."""
    readings = list(
        VitalReading.objects.filter(session=session).select_related(
            "entered_by", "entered_in_error_by"
        )
    )
    baseline = next(
        (r for r in reversed(readings) if r.is_baseline and r.entered_in_error_at is None), None
    )
    administration = Administration.objects.filter(session=session).first()
    chart = SessionChart(
        session=session,
        rules=session_settings(session.clinic).rules(),
        protocol=rules.protocol_of(session.protocol_code),
        assessment=PreDoseAssessment.objects.filter(session=session)
        .select_related("weight", "bp_decided_by")
        .first(),
        readings=readings,
        baseline=baseline,
        alerts=list(SessionAlert.objects.filter(session=session).select_related("acknowledged_by")),
        administration=administration,
        events=list(
            AdministrationEvent.objects.filter(session=session).select_related("entered_by")
        ),
        side_effects=list(
            SideEffect.objects.filter(session=session).select_related(
                "entered_by", "entered_in_error_by"
            )
        ),
        adverse_events=list(
            AdverseEvent.objects.filter(session=session).select_related(
                "entered_by", "entered_in_error_by"
            )
        ),
        addenda=list(Addendum.objects.filter(session=session).select_related("entered_by")),
        enrolled=_enrolled(session),
        ratings=list(
            Score.objects.filter(response__session=session, is_current=True).order_by("answered_at")
        ),
        order=integration.active_order(session),
        screening=integration.screening_of(session),
    )
    chart.due = _due(chart)
    return chart


def _enrolled(session: TreatmentSession) -> bool:
    latest = RemsEnrollment.objects.filter(patient_id=session.patient_id).first()
    return latest is not None and latest.status == RemsEnrollment.Status.ENROLLED


@transaction.atomic
def session_chart_view(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> SessionChart:
    """Open a session's chart, audited as a view of the patient's record."""
    access.require(Permission.VIEW_CHART)
    session = session_get(access=access, patient_id=patient_id, session_id=session_id)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="treatmentsession",
        object_id=session.pk,
        patient_id=session.patient_id,
    )
    return session_chart(session)


def prescribers_of(clinic: Clinic) -> list[User]:
    """The clinic's active staff who may supervise a session (they can order doses)."""
    roles = [role.value for role in Role if can(role, Permission.ORDER_DOSES)]
    return [
        m.user
        for m in Membership.objects.filter(clinic=clinic, is_active=True, role__in=roles)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    ]


def open_alerts_of(*, session: TreatmentSession) -> QuerySet[SessionAlert]:
    """The alert poll's one query: unacknowledged alerts of the session."""
    return SessionAlert.objects.filter(session=session, acknowledged_at__isnull=True).order_by(
        "raised_at", "pk"
    )


def next_actions(chart: SessionChart) -> list[str]:
    """What can happen next, for the page's header."""
    state = chart.session.state
    return [
        lifecycle.EVENT_VERBS[event]
        for event, (sources, _to) in lifecycle.TRANSITIONS.items()
        if state in sources
    ]


# --- REMS monitoring form ----------------------------------------------------------------

FORTY_MIN = dt.timedelta(minutes=40)
NEAR = dt.timedelta(minutes=10)


def _facts(chart: SessionChart) -> rems.FormFacts:
    session, patient = chart.session, chart.session.patient
    valid = [r for r in chart.readings if r.entered_in_error_at is None]
    dosed = [r for r in valid if not r.is_baseline]
    bps = [(r.taken_at, r.systolic, r.diastolic) for r in dosed]
    first = chart.devices[0].at if chart.devices else session.dosing_started_at
    baseline = chart.baseline
    forty = rems.reading_near(bps, first + FORTY_MIN, NEAR) if first else rems.NO_BP
    # "BP prior to session completion": the last BP at the end of observation, taken
    # after the 40-minute reading (never that reading itself).
    at_end = rems.bp_before_completion(bps, after=forty.at or first, until=session.discharged_at)
    last = next((r for r in dosed if r.taken_at == at_end.at), None)
    limits = chart.rules.thresholds
    base_reading = as_reading(baseline) if baseline else None
    effects = {e.effect for e in chart.side_effects if e.entered_in_error_at is None}
    medicines = list(
        Medication.objects.filter(
            patient_id=patient.pk, status="active", entered_in_error_at=None
        ).values_list("name", flat=True)
    )
    earlier = (
        TreatmentSession.objects.filter(
            patient_id=patient.pk,
            protocol_code=session.protocol_code,
            dosing_started_at__lt=session.dosing_started_at or clock.now(),
        )
        .exclude(pk=session.pk)
        .exists()
    )
    prescriber = session.supervising_prescriber
    clinic = session.clinic
    return rems.FormFacts(
        patient_name=f"{patient.legal_given_name} {patient.legal_family_name}",
        date_of_birth=patient.date_of_birth,
        sex=patient.get_sex_at_birth_display(),
        first_treatment=not earlier,
        enrolled=chart.enrolled,
        medicines=rems.medicine_classes(medicines),
        monitoring_hcp=str(prescriber) if prescriber else "",  # the display name
        monitoring_hcp_phone=(prescriber.mobile_phone if prescriber else "") or clinic.site_phone,
        monitoring_hcp_email=prescriber.email if prescriber else "",
        setting=clinic.name,
        site_address=clinic.site_address,
        site_city=clinic.site_city,
        site_state=clinic.site_state,
        site_zip=clinic.site_zip,
        treatment_date=clinic.date_of(session.dosing_started_at or session.scheduled_start),
        devices=len(chart.devices),
        lot_number=chart.administration.lot_number if chart.administration else "",
        first_device_at=first,
        monitoring_ended_at=session.discharged_at,
        ready_to_leave_at=session.stable_at,
        vitals_ok_before=baseline is not None and not chart.gate_reason,
        bp_override=_bp_override(chart),
        vitals_ok_at_end=last is not None
        and monitoring.within_thresholds(as_reading(last), baseline=base_reading, limits=limits),
        bp_pre_dose=rems.BP(baseline.systolic, baseline.diastolic) if baseline else rems.NO_BP,
        bp_40_min=forty,
        bp_at_end=at_end,
        sedation="sedation" in effects,
        dissociation="dissociation" in effects,
        respiratory_depression="respiratory_depression" in effects,
    )


def _bp_override(chart: SessionChart) -> rems.BpOverride | None:
    """The prescriber's decision to go ahead although the baseline BP was above the
    clinic's limit (bp_decision_record), or None."""
    assessment, baseline = chart.assessment, chart.baseline
    if not chart.gate_reason or assessment is None or baseline is None:
        return None
    if assessment.bp_decision not in ("proceed", "treat"):
        return None
    return rems.BpOverride(
        bp=rems.BP(baseline.systolic, baseline.diastolic),
        limit=chart.gate_reason,
        decision=assessment.get_bp_decision_display(),
        decided_by=str(assessment.bp_decided_by) if assessment.bp_decided_by else "",
        decided_at=assessment.bp_decided_at
        and assessment.bp_decided_at.astimezone(zoneinfo.ZoneInfo(chart.session.clinic.time_zone)),
        reason=assessment.bp_decision_reason,
    )


def rems_form_values(session: TreatmentSession) -> dict[str, str]:
    return rems.assemble(_facts(session_chart(session)))


@transaction.atomic
def rems_form_view(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[RemsMonitoringForm, dict[str, str]]:
    """A session's REMS form and its values from the record, audited as a view."""
    chart = session_chart_view(access=access, patient_id=patient_id, session_id=session_id)
    form = RemsMonitoringForm.objects.filter(session=chart.session).first()
    if form is None:
        raise NotFound("rems form")
    return form, rems.assemble(_facts(chart))


@dataclass(frozen=True)
class FormRow:
    form: RemsMonitoringForm
    status: str


@transaction.atomic
def rems_form_list(
    *, access: ClinicAccess, include_submitted: bool = False, export: bool = False
) -> list[FormRow]:
    """The clinic's REMS forms for a person. The list names patients, so reading it is
    audited once, with the patients it showed (like a registry search)."""
    access.require(Permission.VIEW_CHART)
    rows = rems_forms(clinic=access.clinic, include_submitted=include_submitted)
    audit_as(
        access,
        action=Action.EXPORT if export else Action.VIEW,
        object_type="rems_form_list",
        details={
            "include_submitted": include_submitted,
            "format": "csv" if export else "list",
            "patient_ids": sorted({str(row.form.session.patient_id) for row in rows}),
        },
    )
    return rows


def rems_forms(*, clinic: Clinic, include_submitted: bool = False) -> list[FormRow]:
    """The clinic's REMS monitoring forms, due and overdue first."""
    forms = RemsMonitoringForm.objects.filter(clinic=clinic).select_related(
        "session", "session__patient"
    )
    if not include_submitted:
        forms = forms.exclude(status=RemsMonitoringForm.Status.SUBMITTED)
    today = clinic.today()
    return [
        FormRow(
            form,
            rems.form_status(
                submitted=form.status == RemsMonitoringForm.Status.SUBMITTED,
                due=form.due_on,
                today=today,
            ),
        )
        for form in forms
    ]
