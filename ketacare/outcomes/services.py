"""Writes and audited reads of outcomes: the clinic's settings, a patient's outcomes and
the clinician's decision on a maintenance recommendation. Each write runs in one
transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.dosing.protocols import ProtocolDefinition
from ketacare.dosing.schedule import first_open_day
from ketacare.dosing.selectors import calendar_rules, protocol_catalogue
from ketacare.outcomes.config import OutcomeConfig, config_for, settings_row, validated_overrides
from ketacare.outcomes.course import CourseOutcome, Judgement, Status, classify_course
from ketacare.outcomes.data import ScorePoint
from ketacare.outcomes.maintenance import (
    Recommendation,
    TaperSuggestion,
    early_warning,
    recommend_next_session,
    spacing_words,
    taper_suggestion,
)
from ketacare.outcomes.models import ClinicalEvent, ClinicOutcomeSettings, MaintenanceDecision
from ketacare.outcomes.options import JUDGED_INSTRUMENTS
from ketacare.outcomes.sources import PatientCourse, patient_course
from ketacare.outcomes.state import clinic_state_rebuild, course_state_refresh
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.patients.services import patient_view
from ketacare.treatment.models import TreatmentSession
from ketacare.treatment.services import session_schedule

BOOKING_HOUR = 10  # a booked booster's default start, clinic time; the form may change it


# --- settings ----------------------------------------------------------------------------


@transaction.atomic
def outcome_settings_update(
    *, access: ClinicAccess, values: Mapping[str, object]
) -> ClinicOutcomeSettings:
    """Change any of the clinic's outcome settings (keys as the settings page names
    them). Invalid values answer 422 per key and change nothing."""
    access.require(Permission.MANAGE_PROTOCOLS)
    row = ClinicOutcomeSettings.objects.select_for_update().filter(clinic=access.clinic).first()
    row = row or settings_row(access.clinic)
    before = dict(row.overrides)
    row.overrides = validated_overrides(before, values)
    row.updated_by = access.user
    row.save()
    changed = sorted(set(before) | set(row.overrides))
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="clinicoutcomesettings",
        object_id=row.pk,
        changes={
            key: [before.get(key), row.overrides.get(key)]
            for key in changed
            if before.get(key) != row.overrides.get(key)
        },
    )
    if row.overrides != before:
        clinic_state_rebuild(access.clinic)  # the rules changed: every course is judged again
    return row


# --- a patient's outcomes ----------------------------------------------------------------


@dataclass(frozen=True)
class PatientOutcomes:
    patient: Patient
    config: OutcomeConfig
    course: PatientCourse | None
    outcomes: list[CourseOutcome] = field(default_factory=list)
    scores: dict[str, ScorePoint] = field(default_factory=dict)  # by id, for the evidence
    recommendation: Recommendation | None = None
    warning: Judgement | None = None
    taper: TaperSuggestion | None = None
    decision: MaintenanceDecision | None = None  # on the recommendation after the last session
    upcoming: TreatmentSession | None = None  # the next booked session, if any
    decisions: list[MaintenanceDecision] = field(default_factory=list)
    spacing: Spacing | None = None  # the course's minimum spacing and its rule

    @property
    def can_decide(self) -> bool:
        rec = self.recommendation
        return rec is not None and rec.status is Status.MET and self.decision is None


Protocols = Mapping[str, ProtocolDefinition]


def clinic_protocols(access: ClinicAccess) -> dict[str, ProtocolDefinition]:
    """The clinic's current version of every protocol, by code (one query)."""
    return {p.code: p for p in protocol_catalogue(clinic=access.clinic)}


@dataclass(frozen=True)
class Spacing:
    """The minimum spacing between a course's sessions and the rule it comes from: the
    protocol's `min_days_between_sessions` (calendar days, clinic time) when the course
    has a protocol, else the clinic's `min_spacing_hours` (hours after the last dose)."""

    min_spacing: dt.timedelta
    rule: str
    min_days: int | None = None  # set when the protocol's rule applies

    def refusal(self, start: dt.datetime, last_given: dt.datetime, zone: dt.tzinfo) -> str | None:
        """Why a session starting at `start` is too soon after the last one, or None."""
        if self.min_days is not None:
            gap = start.astimezone(zone).date() - last_given.astimezone(zone).date()
            if gap < dt.timedelta(days=self.min_days):
                return f"Too soon after the last session: {self.rule}."
            return None
        if start < last_given + self.min_spacing:
            return f"Too soon after the last session: {self.rule}."
        return None


def spacing_for(pc: PatientCourse, config: OutcomeConfig, protocols: Protocols) -> Spacing:
    protocol = protocols.get(pc.protocol or "")
    if protocol is not None:
        days = protocol.min_days_between_sessions
        return Spacing(
            dt.timedelta(days=days),
            f"the protocol's minimum spacing ({protocol.name}: sessions at least "
            f"{spacing_words(dt.timedelta(days=days))} apart, by calendar day)",
            min_days=days,
        )
    hours = config.options.min_spacing_hours
    return Spacing(
        dt.timedelta(hours=hours),
        f"the clinic's default minimum spacing ({spacing_words(dt.timedelta(hours=hours))} "
        "after the last session; the course has no protocol)",
    )


def maintenance_for(
    pc: PatientCourse, config: OutcomeConfig, today: dt.date | None, protocols: Protocols
) -> tuple[Recommendation, Judgement, TaperSuggestion]:
    """The next-session recommendation (never sooner than the course's minimum spacing),
    early warning and taper suggestion, judged on the clinic's primary instrument."""
    instrument = config.options.primary_instrument
    spacing = spacing_for(pc, config, protocols)
    return (
        recommend_next_session(
            pc.course,
            instrument,
            rules=config.maintenance,
            min_spacing=spacing.min_spacing,
            spacing_rule=spacing.rule,
            today=today,
        ),
        early_warning(pc.course, instrument, config.maintenance),
        taper_suggestion(
            pc.course, instrument, rules=config.maintenance, outcome_rules=config.rules
        ),
    )


def clinic_today(access: ClinicAccess, now: dt.datetime) -> dt.date:
    return timezone.localtime(now, zoneinfo.ZoneInfo(access.clinic.time_zone)).date()


def outcomes_of(access: ClinicAccess, patient: Patient, now: dt.datetime) -> PatientOutcomes:
    """The outcomes of a patient already opened (and audited) by the caller."""
    config = config_for(access.clinic)
    pc = patient_course(access.clinic, patient.pk)
    upcoming = (
        TreatmentSession.objects.filter(
            patient=patient, status=TreatmentSession.Status.SCHEDULED, scheduled_start__gte=now
        )
        .order_by("scheduled_start")
        .first()
    )
    decisions = list(
        MaintenanceDecision.objects.filter(patient=patient).select_related("decided_by")
    )
    if pc is None:
        return PatientOutcomes(patient, config, None, upcoming=upcoming, decisions=decisions)
    protocols = clinic_protocols(access)
    instruments = [code for code in JUDGED_INSTRUMENTS if code in pc.course.instruments]
    recommendation, warning, taper = maintenance_for(
        pc, config, clinic_today(access, now), protocols
    )
    last = uuid.UUID(str(pc.last_session.id))
    return PatientOutcomes(
        patient=patient,
        config=config,
        course=pc,
        outcomes=[classify_course(pc.course, code, config.rules) for code in instruments],
        scores={str(p.id): p for points in pc.course.scores.values() for p in points},
        recommendation=recommendation,
        warning=warning,
        taper=taper,
        decision=next((d for d in decisions if d.last_session_id == last), None),
        upcoming=upcoming,
        decisions=decisions,
        spacing=spacing_for(pc, config, protocols),
    )


@transaction.atomic
def patient_outcomes(
    *, access: ClinicAccess, patient_id: uuid.UUID, now: dt.datetime | None = None
) -> PatientOutcomes:
    """The patient's course outcomes and maintenance plan; the view is audited."""
    patient = patient_view(access=access, patient_id=patient_id, section="outcomes")
    return outcomes_of(access, patient, now or timezone.now())


# --- decisions on a recommendation ------------------------------------------------------


def _require_planning(access: ClinicAccess) -> None:
    access.require(Permission.VIEW_CHART)
    access.require(Permission.SCHEDULE_SESSIONS)


def _open_recommendation(
    access: ClinicAccess, patient_id: uuid.UUID, now: dt.datetime
) -> tuple[PatientOutcomes, Recommendation]:
    patient = patient_get(access=access, patient_id=patient_id)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # one decision at a time
    state = outcomes_of(access, patient, now)
    rec = state.recommendation
    if rec is None or rec.status is not Status.MET or rec.date is None:
        reason = rec.reason if rec else "no session has been given yet"
        raise ValidationFailed.single("recommendation", f"No recommendation to act on: {reason}.")
    if state.decision is not None:
        raise ValidationFailed.single(
            "recommendation",
            f"This recommendation was already {state.decision.get_decision_display().lower()}.",
        )
    return state, rec


def _decide(
    access: ClinicAccess,
    state: PatientOutcomes,
    rec: Recommendation,
    decision: str,
    now: dt.datetime,
    *,
    reason: str = "",
    booked: TreatmentSession | None = None,
    note: str = "",
) -> MaintenanceDecision:
    assert state.course is not None and rec.date is not None
    row = MaintenanceDecision.objects.create(
        clinic=access.clinic,
        patient=state.patient,
        instrument=state.config.options.primary_instrument,
        last_session_id=uuid.UUID(str(state.course.last_session.id)),
        recommended_date=rec.date,
        recommendation=rec.reason,
        decision=decision,
        reason=reason,
        booked_session=booked,
        decided_by=access.user,
        decided_at=now,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="maintenancedecision",
        object_id=row.pk,
        patient_id=state.patient.pk,
        changes={
            "decision": [None, decision],
            "recommended_date": [None, rec.date.isoformat()],
            "reason": [None, reason],
            "booked_session": [None, str(booked.pk) if booked else None],
        },
        details={"recommendation": rec.reason, **({"booking": note} if note else {})},
    )
    course_state_refresh(access.clinic, state.patient.pk)
    return row


def _book_in_course(
    access: ClinicAccess, pc: PatientCourse, start: dt.datetime
) -> TreatmentSession:
    """Book the session in the course: with its protocol and, for a plan's course, in the
    plan (the booking is audited by session_schedule, joining the plan here)."""
    booked = session_schedule(
        access=access,
        patient_id=pc.patient_id,
        scheduled_start=start,
        protocol_code=pc.protocol or "",
    )
    if pc.plan_id is not None:
        booked.plan_id = pc.plan_id
        booked.save(update_fields=["plan", "updated_at"])
        audit_as(
            access,
            action=Action.UPDATE,
            object_type="treatmentsession",
            object_id=booked.pk,
            patient_id=pc.patient_id,
            changes={"plan": [None, str(pc.plan_id)]},
            details={"reason": "maintenance recommendation accepted"},
        )
    return booked


def default_start(clinic: Clinic, recommended: dt.date, now: dt.datetime) -> dt.datetime:
    """Where an accepted booster is booked when no start is given: the recommended date at
    BOOKING_HOUR clinic time; when that has passed (an overdue recommendation), the
    earliest booking from now instead: the first day the clinic's calendar is open (not
    closed, a place free) whose BOOKING_HOUR is still ahead. Refused, naming the field,
    when the calendar has no such day within a year."""
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    at_hour = dt.time(BOOKING_HOUR)
    start = dt.datetime.combine(recommended, at_hour, tzinfo=zone)
    if start >= now:
        return start
    today = now.astimezone(zone).date()
    if dt.datetime.combine(today, at_hour, tzinfo=zone) < now:
        today += dt.timedelta(days=1)  # today's session time has passed too
    day = first_open_day(calendar_rules(clinic), today)
    if day is None:
        raise ValidationFailed.single(
            "scheduled_start",
            "The recommended date has passed and the clinic's calendar has no open day in "
            "the next year: choose a start.",
        )
    return dt.datetime.combine(day, at_hour, tzinfo=zone)


@transaction.atomic
def recommendation_accept(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    scheduled_start: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> MaintenanceDecision:
    """Accept the next-session recommendation: book the session (unless a start is given,
    at `default_start`) and record the decision."""
    _require_planning(access)
    now = now or timezone.now()
    state, rec = _open_recommendation(access, patient_id, now)
    assert rec.date is not None and state.course is not None
    zone = zoneinfo.ZoneInfo(access.clinic.time_zone)
    start = scheduled_start or default_start(access.clinic, rec.date, now)
    assert state.spacing is not None
    too_soon = state.spacing.refusal(start, state.course.last_session.given_at, zone)
    if too_soon:
        raise ValidationFailed.single("scheduled_start", too_soon)
    if start < now:
        raise ValidationFailed.single("scheduled_start", "Choose a time in the future.")
    booked = _book_in_course(access, state.course, start)
    moved = scheduled_start is None and start.astimezone(zone).date() != rec.date
    return _decide(
        access,
        state,
        rec,
        MaintenanceDecision.Decision.ACCEPTED,
        now,
        booked=booked,
        note="the recommended date had passed: booked on the next open clinic day" if moved else "",
    )


@transaction.atomic
def recommendation_dismiss(
    *, access: ClinicAccess, patient_id: uuid.UUID, reason: str, now: dt.datetime | None = None
) -> MaintenanceDecision:
    """Dismiss the recommendation, with the clinician's reason."""
    _require_planning(access)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Say why the recommendation is dismissed.")
    now = now or timezone.now()
    state, rec = _open_recommendation(access, patient_id, now)
    return _decide(
        access,
        state,
        rec,
        MaintenanceDecision.Decision.DISMISSED,
        now,
        reason=reason.strip()[:300],
    )


# --- clinical events (SUSTAIN-1 relapse events) -----------------------------------------


def clinical_events_of(*, clinic: Clinic, patient: Patient) -> list[ClinicalEvent]:
    """The patient's clinical events, newest first, those entered in error included."""
    return list(
        ClinicalEvent.objects.filter(clinic=clinic, patient=patient).select_related(
            "recorded_by", "entered_in_error_by"
        )
    )


@transaction.atomic
def clinical_event_record(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    kind: str,
    occurred_at: dt.datetime | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> ClinicalEvent:
    """Record a hospitalisation for worsening depression, a suicide attempt or another
    clinically relevant event to prevent suicide. Under the SUSTAIN-1 relapse option an
    event after the first response is a relapse. Audited in the same transaction."""
    access.require(Permission.EDIT_CLINICAL)
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    errors: dict[str, list[str]] = {}
    if kind not in ClinicalEvent.Kind.values:
        labels = ", ".join(str(label).lower() for label in ClinicalEvent.Kind.labels)
        errors["kind"] = [f"Choose what happened: {labels}."]
    moment = now or timezone.now()
    if occurred_at is None:
        errors["occurred_at"] = ["Give the date and time it happened."]
    elif occurred_at.tzinfo is None:
        errors["occurred_at"] = ["Give the time with its time zone."]
    elif occurred_at > moment:
        errors["occurred_at"] = ["The time is in the future."]
    elif occurred_at.date() < patient.date_of_birth:
        errors["occurred_at"] = ["The time is before the patient's date of birth."]
    if len(note.strip()) > 500:
        errors["note"] = ["Keep the note under 500 characters."]
    if errors:
        raise ValidationFailed(errors)
    assert occurred_at is not None
    event = ClinicalEvent.objects.create(
        clinic=access.clinic,
        patient=patient,
        kind=kind,
        occurred_at=occurred_at,
        note=note.strip(),
        recorded_by=access.user,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="clinicalevent",
        object_id=event.pk,
        patient_id=patient.pk,
        changes={
            "kind": [None, kind],
            "occurred_at": [None, occurred_at.isoformat()],
            "note": [None, event.note],
        },
    )
    course_state_refresh(access.clinic, patient.pk)
    return event


@transaction.atomic
def clinical_event_mark_in_error(
    *, access: ClinicAccess, patient_id: uuid.UUID, event_id: uuid.UUID, reason: str
) -> ClinicalEvent:
    """Mark a mistaken event entered in error (it is kept, and no longer counted)."""
    access.require(Permission.EDIT_CLINICAL)
    patient = patient_get(access=access, patient_id=patient_id)
    event = (
        ClinicalEvent.objects.select_for_update()
        .filter(clinic=access.clinic, patient=patient, pk=event_id)
        .first()
    )
    if event is None:
        raise NotFound("clinical event")
    if not reason.strip():
        raise ValidationFailed.single("reason", "Say why the event is entered in error.")
    if event.entered_in_error_at is not None:
        raise ValidationFailed.single("event", "This event is already marked entered in error.")
    event.entered_in_error_at = timezone.now()
    event.entered_in_error_by = access.user
    event.entered_in_error_reason = reason.strip()[:300]
    event.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="clinicalevent",
        object_id=event.pk,
        patient_id=patient.pk,
        changes={"entered_in_error_at": [None, event.entered_in_error_at.isoformat()]},
        details={"reason": event.entered_in_error_reason},
    )
    course_state_refresh(access.clinic, patient.pk)
    return event
