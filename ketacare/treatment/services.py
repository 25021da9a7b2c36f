"""Session writes: scheduling, the lifecycle, supervision, the order, the pre-dose
assessment, discharge, signing, addenda and the clinic's session settings.

Every write runs in one transaction, checks the permission, takes the session row lock,
asks ketacare.treatment.lifecycle.decide before any transition (refusing with its
message), and writes its audit event. Charting entries are in ketacare.treatment.charting.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Permission, can
from ketacare.audit.services import Action, Entry, audit_as, audit_record_many
from ketacare.common import clock
from ketacare.common.course_state import course_state_refresh
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.common.statements import Param, Select
from ketacare.consent.selectors import treatment_consent_verdict
from ketacare.dosing import services as dosing
from ketacare.dosing.calculator import first_dose_refusal
from ketacare.dosing.protocols import SHIPPED
from ketacare.patients import services as patients
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.patients.selectors import patient_get
from ketacare.treatment import discharge, lifecycle, monitoring, rems, rules
from ketacare.treatment.integration import (
    active_order,
    rescreen_before_session,
    screening_allows,
)
from ketacare.treatment.lifecycle import Event, State
from ketacare.treatment.models import (
    Addendum,
    Administration,
    ClinicSessionSettings,
    PreDoseAssessment,
    RemsEnrollment,
    RemsMonitoringForm,
    SessionAlert,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatment.monitoring import Reading

OBJECT = "treatmentsession"

# Other apps' reasons a session may not be signed yet, registered at start-up (the
# controlled-substance ledger adds its reconciliation: ketacare.ledger.apps). Each answers
# a tuple of refusal messages for the locked session; empty means no objection.
SIGN_CHECKS: list[Callable[[TreatmentSession], tuple[str, ...]]] = []


# --- helpers shared with ketacare.treatment.charting -----------------------------------


def session_settings(clinic: Any) -> ClinicSessionSettings:
    """The clinic's settings row, or an unsaved one holding the cited defaults. Read on
    every vital sign charted, so compiled once (common/statements.py)."""
    relation = Clinic.session_settings.related
    if isinstance(clinic, Clinic) and relation.is_cached(clinic):  # read with a session lock
        found: list[ClinicSessionSettings] = [
            s for s in [relation.get_cached_value(clinic)] if isinstance(s, ClinicSessionSettings)
        ]
    else:
        found = _SETTINGS.rows(clinic=clinic.pk) if clinic is not None else []
    return found[0] if found else ClinicSessionSettings(clinic=clinic)


# One row at most (one-to-one): no ORDER BY for .first() to add.
_SETTINGS = Select(
    lambda: ClinicSessionSettings.objects.filter(
        clinic_id=Param("clinic", Clinic._meta.pk)
    ).order_by()[:1]
)


def _locked(clinic: Any, patient: Any, session: Any) -> QuerySet[TreatmentSession]:
    # The primary key names one row at most: no ORDER BY for .first() to add.
    return (
        TreatmentSession.objects.select_for_update(of=("self",))
        .filter(clinic_id=clinic, patient_id=patient, pk=session)
        .order_by()[:1]
    )


# With the clinic and its session settings, which every reading's alert rules need: one
# round trip fewer than reading them apart.
_LOCKED = Select(
    lambda: _locked(
        Param("clinic", Clinic._meta.pk),
        Param("patient", Patient._meta.pk),
        Param("session", TreatmentSession._meta.pk),
    ).select_related("clinic__session_settings")
)


def locked_session(
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    with_patient: bool = True,
) -> TreatmentSession:
    """The session row, locked for this transaction; another clinic's answers NotFound.
    with_patient=False leaves the patient unread (charting a reading needs only its id)
    and reads the clinic's session settings with the clinic instead."""
    try:
        if with_patient:
            found = list(
                _locked(access.clinic.pk, patient_id, session_id).select_related("patient")
            )
        else:  # charting a reading: compiled once (common/statements.py)
            found = _LOCKED.rows(clinic=access.clinic.pk, patient=patient_id, session=session_id)
    except (ValueError, TypeError, ValidationError) as exc:
        raise NotFound("session") from exc
    if not found:
        raise NotFound("session")
    session = found[0]
    if with_patient:
        session.clinic = access.clinic  # the same row, already read: no query to reach it
    return session


def require_charting(session: TreatmentSession) -> None:
    """Charting is open from check-in until signing; afterwards only addenda."""
    if session.state in lifecycle.CHARTING_STATES:
        return
    if session.state is State.SIGNED:
        message = "The session is signed and locked: record a correction as an addendum."
    elif session.state in lifecycle.LOCKED_STATES:
        message = f"The session is {session.get_status_display().lower()}: nothing to chart."
    else:
        message = "Check the patient in before charting."
    raise ValidationFailed.single("status", message)


def audit_session(
    access: ClinicAccess,
    session: TreatmentSession,
    *,
    action: str = Action.UPDATE,
    object_type: str = OBJECT,
    object_id: Any = None,
    changes: Mapping[str, list[Any]] | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    audit_as(
        access,
        action=action,
        object_type=object_type,
        object_id=object_id or session.pk,
        patient_id=session.patient_id,
        changes=changes,
        details={"session_id": str(session.pk), **(details or {})},
    )


def audit_session_many(
    access: ClinicAccess, session: TreatmentSession, entries: Sequence[Entry]
) -> None:
    """audit_session for several events at once, in order, moving the chain head once."""
    audit_record_many(
        actor=access.user,
        clinic=access.clinic,
        entries=[
            replace(
                e,
                object_id=e.object_id or session.pk,
                patient_id=session.patient_id,
                details={"session_id": str(session.pk), **(e.details or {})},
            )
            for e in entries
        ],
    )


def protocol_of(session: TreatmentSession) -> Any:
    return rules.protocol_of(session.protocol_code)


def apply(
    access: ClinicAccess,
    session: TreatmentSession,
    event: Event,
    *,
    dosing: lifecycle.DosingFacts | None = None,
    discharge_blockers: tuple[str, ...] = (),
    stamp: Mapping[str, Any] | None = None,
) -> TreatmentSession:
    """Move the session through `event` if the state machine allows it, else refuse."""
    decision = lifecycle.decide(
        session.state, event, dosing=dosing, discharge_blockers=discharge_blockers
    )
    if not decision.allowed or decision.to_state is None:
        raise ValidationFailed({"status": list(decision.reasons)})
    before = session.status
    session.status = decision.to_state.value
    for name, value in (stamp or {}).items():
        setattr(session, name, value)
    session.version += 1
    session.save()
    audit_session(
        access,
        session,
        changes={
            "status": [before, session.status],
            **{k: [None, getattr(v, "pk", v)] for k, v in (stamp or {}).items()},
        },
        details={"event": event.value},
    )
    given = TreatmentSession.GIVEN_STATUSES
    if (before in given) != (session.status in given) or "dosing_started_at" in (stamp or {}):
        course_state_refresh(access.clinic, session.patient_id)
    return session


def baseline_of(session: TreatmentSession) -> VitalReading | None:
    """The session's baseline: its latest baseline reading not entered in error."""
    return (
        VitalReading.objects.filter(
            session=session, is_baseline=True, entered_in_error_at__isnull=True
        )
        .order_by("-taken_at", "-created_at")
        .first()
    )


def latest_baseline(rows: Iterable[VitalReading]) -> VitalReading | None:
    """baseline_of among rows already read (which must include all the session's
    baselines): the same choice, without a query of its own."""
    baselines = [r for r in rows if r.is_baseline and r.entered_in_error_at is None]
    return max(baselines, key=lambda r: (r.taken_at, r.created_at), default=None)


def as_reading(row: VitalReading) -> Reading:
    return Reading(
        taken_at=row.taken_at,
        systolic=row.systolic,
        diastolic=row.diastolic,
        heart_rate=row.heart_rate,
        spo2=row.spo2,
        respiratory_rate=row.respiratory_rate,
        moaas=row.moaas,
    )


# --- scheduling -------------------------------------------------------------------------


def _check_protocol(code: str) -> None:
    if code and rules.protocol_of(code) is None:
        raise ValidationFailed.single("protocol_code", f"Unknown protocol {code!r}.")


def check_window(
    access: ClinicAccess, field: str, moment: dt.datetime, reason: str
) -> tuple[str, str]:
    """A booking or charting time outside the clinic's window is refused unless a reason
    is given; answers (the problem, the reason kept) for the audit."""
    problem = rules.booking_window_problem(
        moment, clock.now(), session_settings(access.clinic).rules()
    )
    if problem and not reason.strip():
        raise ValidationFailed.single(field, problem[0].upper() + problem[1:] + ".")
    return problem, reason.strip()[:300] if problem else ""


@transaction.atomic
def session_schedule(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    scheduled_start: dt.datetime,
    protocol_code: str = "",
    reason: str = "",
) -> TreatmentSession:
    """Book a session. A start outside the clinic's booking window (far in the past or
    future) needs a stated reason, kept as the session's schedule override reason."""
    access.require(Permission.SCHEDULE_SESSIONS)
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    _check_protocol(protocol_code)
    problem, kept = check_window(access, "scheduled_start", scheduled_start, reason)
    session = TreatmentSession.objects.create(
        clinic=access.clinic,
        patient=patient,
        scheduled_start=scheduled_start,
        protocol_code=protocol_code,
        created_by=access.user,
        schedule_override_reason=kept,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type=OBJECT,
        object_id=session.pk,
        patient_id=patient.pk,
        changes={
            "scheduled_start": [None, scheduled_start],
            "protocol_code": [None, protocol_code],
        },
        details={"window": problem, "reason": kept} if problem else None,
    )
    return session


@transaction.atomic
def session_record_given(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    dosing_started_at: dt.datetime,
    reason: str = "",
) -> TreatmentSession:
    """Record, after the fact, a session given without charting in KetaCare (e.g. charted
    on paper): it becomes discharged, awaiting a prescriber's signature. It passes the
    same state machine as dosing in KetaCare: a role that gives doses, the supervising
    prescriber, a screening that allows the protocol, a current treatment consent, the
    pre-dose vitals and the double-checked order within its caps. A dosing time outside
    the clinic's window needs a reason. Post-session measures count from
    dosing_started_at."""
    access.require(Permission.GIVE_DOSES)
    session = locked_session(access, patient_id, session_id)
    if dosing_started_at > clock.now():
        raise ValidationFailed.single("dosing_started_at", "Dosing cannot start in the future.")
    problem, kept = check_window(access, "dosing_started_at", dosing_started_at, reason)
    dose = active_order(session).dose_mg
    session = apply(
        access,
        session,
        Event.RECORD_GIVEN,
        dosing=dosing_facts(session, dose),
        stamp={"dosing_started_at": dosing_started_at},
    )
    audit_session(
        access,
        session,
        changes={"dose_mg": [None, dose]},
        details={"event": "recorded_given", "window": problem, "reason": kept},
    )
    return session


@transaction.atomic
def session_cancel(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    reason: str,
    no_show: bool = False,
) -> TreatmentSession:
    access.require(Permission.SCHEDULE_SESSIONS)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Give a reason.")
    session = locked_session(access, patient_id, session_id)
    return apply(
        access,
        session,
        Event.NO_SHOW if no_show else Event.CANCEL,
        stamp={"status_reason": reason.strip()[:300]},
    )


# --- lifecycle ---------------------------------------------------------------------------

SIMPLE_EVENTS = {
    Event.CHECK_IN: ("checked_in_at", Permission.SCHEDULE_SESSIONS),
    Event.START_ASSESSMENT: ("", Permission.EDIT_CLINICAL),
}


@transaction.atomic
def session_transition(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID, event: str
) -> TreatmentSession:
    """Check-in, start of the pre-dose assessment, and readiness for discharge. Dosing
    starts with the administration, ends with its stop; discharge and signing have their
    own services."""
    try:
        chosen = Event(event)
    except ValueError as exc:
        raise ValidationFailed.single("event", f"Unknown event {event!r}.") from exc
    if chosen is Event.MARK_READY:
        access.require(Permission.EDIT_CLINICAL)
        session = locked_session(access, patient_id, session_id)
        return apply(
            access,
            session,
            chosen,
            discharge_blockers=discharge_blockers_of(session),
            stamp={"ready_at": clock.now()},
        )
    if chosen not in SIMPLE_EVENTS:
        raise ValidationFailed.single("event", f"Use the {chosen.value} action itself.")
    stamp_field, permission = SIMPLE_EVENTS[chosen]
    access.require(permission)
    session = locked_session(access, patient_id, session_id)
    if chosen is Event.START_ASSESSMENT:
        session = _start_assessment(access, session)
        _assessment_of(access, session)
        return session
    return apply(access, session, chosen, stamp={stamp_field: clock.now()} if stamp_field else None)


def _start_assessment(access: ClinicAccess, session: TreatmentSession) -> TreatmentSession:
    """Open the pre-dose assessment and screen the patient again against today's chart."""
    session = apply(access, session, Event.START_ASSESSMENT)
    rescreen_before_session(access, session)
    return session


ORDER_STATES = frozenset({State.SCHEDULED, State.CHECKED_IN, State.PRE_DOSE})


@transaction.atomic
def session_order_set(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    protocol_code: str,
    ordered_dose_mg: Decimal,
    first_dose_reason: str = "",
) -> TreatmentSession:
    """The prescriber's protocol and dose (mg) for this session. It goes through
    calculate_dose (the protocol's caps and the clinic's mg ceiling) and needs a second
    clinician's double-check before dosing; changing it is a new order, checked again."""
    access.require(Permission.ORDER_DOSES)
    session = locked_session(access, patient_id, session_id)
    if session.state not in ORDER_STATES:
        raise ValidationFailed.single(
            "status", "The dose can only be ordered before dosing starts."
        )
    _check_protocol(protocol_code or "?")
    result = dosing.session_dose_check(
        clinic=access.clinic,
        patient=session.patient,
        protocol_code=protocol_code,
        dose_mg=ordered_dose_mg,
    )
    reason = first_dose_reason.strip()[:300]
    session.protocol_code = protocol_code  # the first-dose rule asks of this protocol
    if refusal := first_dose_refusal_of(session, ordered_dose_mg, reason):
        raise ValidationFailed.single("ordered_dose_mg", refusal[0].upper() + refusal[1:] + ".")
    before = [session.protocol_code, session.ordered_dose_mg, session.first_dose_reason]
    session.ordered_dose_mg = ordered_dose_mg
    session.first_dose_reason = reason
    session.ordered_by = access.user
    session.ordered_at = clock.now()
    session.order_calculation = dosing.result_json(result)
    session.order_checked_by = session.order_checked_at = None  # a new order: check again
    session.version += 1
    session.save()
    audit_session(
        access,
        session,
        changes={
            "protocol_code": [before[0], protocol_code],
            "ordered_dose_mg": [before[1], ordered_dose_mg],
            **({"first_dose_reason": [before[2], reason]} if before[2] != reason else {}),
        },
        details={"event": "order", "warnings": [w.code for w in result.warnings]},
    )
    return session


@transaction.atomic
def session_order_double_check(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> TreatmentSession:
    """A second clinician's independent check of the session order, as for a standing
    order (ketacare.dosing.services.order_double_check): never its prescriber."""
    access.require(Permission.DOUBLE_CHECK_DOSES)
    session = locked_session(access, patient_id, session_id)
    if session.ordered_dose_mg is None:
        raise ValidationFailed.single("order", "No dose is ordered for this session.")
    if session.state not in ORDER_STATES:
        raise ValidationFailed.single("status", "The order is checked before dosing starts.")
    if session.ordered_by_id == access.user.pk:
        raise ValidationFailed.single(
            "checked_by", "The double-check must be done by someone other than the prescriber."
        )
    if session.order_checked_at is not None:
        raise ValidationFailed.single("checked_by", "This order is already double-checked.")
    session.order_checked_by, session.order_checked_at = access.user, clock.now()
    session.version += 1
    session.save()
    audit_session(
        access,
        session,
        changes={
            "order_checked_by": [None, access.user.get_username()],
            "order_checked_at": [None, session.order_checked_at],
        },
        details={"event": "order_double_check"},
    )
    return session


def _prescriber(access: ClinicAccess, user_id: int) -> User:
    membership = (
        Membership.objects.select_related("user")
        .filter(clinic=access.clinic, user_id=user_id, is_active=True)
        .first()
    )
    if membership is None or not can(membership.role, Permission.ORDER_DOSES):
        raise ValidationFailed.single("prescriber_id", "Choose a prescriber of this clinic.")
    return membership.user


def _supervision_open(session: TreatmentSession) -> None:
    if session.state not in {
        State.SCHEDULED,
        State.CHECKED_IN,
        State.PRE_DOSE,
        State.DOSING,
        State.MONITORING,
        State.READY_FOR_DISCHARGE,
    }:
        raise ValidationFailed.single(
            "status", f"The session is {session.get_status_display().lower()}."
        )


@transaction.atomic
def supervisor_assign(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    prescriber_id: int | None = None,
) -> TreatmentSession:
    """Assign the supervising prescriber (yourself when none is named). A new supervisor
    must attest being on site again."""
    access.require(Permission.SCHEDULE_SESSIONS)
    session = locked_session(access, patient_id, session_id)
    _supervision_open(session)
    prescriber = _prescriber(access, prescriber_id or access.user.pk)
    before = session.supervising_prescriber_id
    if before != prescriber.pk:
        session.supervising_prescriber = prescriber
        session.supervisor_on_site_at = None
        session.version += 1
        session.save()
    audit_session(
        access,
        session,
        changes={"supervising_prescriber": [before, prescriber.pk]},
        details={"event": "assign_supervisor"},
    )
    return session


@transaction.atomic
def supervisor_attest(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> TreatmentSession:
    """The supervising prescriber attests being on site (assigning themselves if no one
    is assigned yet). Only the prescriber can attest for themselves."""
    access.require(Permission.ORDER_DOSES)
    session = locked_session(access, patient_id, session_id)
    _supervision_open(session)
    if session.supervising_prescriber_id not in (None, access.user.pk):
        raise ValidationFailed.single(
            "supervising_prescriber",
            "Another prescriber is assigned: only they can attest being on site.",
        )
    session.supervising_prescriber = access.user
    session.supervisor_on_site_at = clock.now()
    session.version += 1
    session.save()
    audit_session(
        access,
        session,
        changes={"supervisor_on_site_at": [None, session.supervisor_on_site_at]},
        details={"event": "attest_on_site"},
    )
    return session


# --- pre-dose assessment ---------------------------------------------------------------

ASSESSMENT_FIELDS = (
    "pregnancy_test",
    "fasting_confirmed",
    "no_decongestant_confirmed",
    "medicines_today",
    "medication_changes",
)


def _assessment_of(access: ClinicAccess, session: TreatmentSession) -> PreDoseAssessment:
    assessment, _ = PreDoseAssessment.objects.select_for_update().get_or_create(
        session=session, defaults={"clinic": access.clinic, "updated_by": access.user}
    )
    return assessment


def _conflict(what: str, by: Any, at: dt.datetime) -> ValidationFailed:
    return ValidationFailed.single(
        "version",
        f"{what} was changed by {by} at {at:%H:%M:%S} since you opened it. Reload to see "
        "their changes; nothing of yours was saved.",
    )


@transaction.atomic
def assessment_save(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    version: int,
    data: Mapping[str, Any],
    weight_kg: Decimal | None = None,
    baseline: Mapping[str, Any] | None = None,
) -> PreDoseAssessment:
    """Save the pre-dose assessment. `version` is the one the form was opened with: an
    older one is refused (someone else saved in between). A weight is also recorded on the
    chart (BodyMeasurement); baseline vital signs become the session's baseline reading."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    if session.state is State.CHECKED_IN:
        session = _start_assessment(access, session)
    if session.state is not State.PRE_DOSE:
        raise ValidationFailed.single(
            "status", "The pre-dose assessment is open between check-in and the first dose."
        )
    assessment = _assessment_of(access, session)
    if version != assessment.version:
        raise _conflict("The assessment", assessment.updated_by, assessment.updated_at)
    before = {f: getattr(assessment, f) for f in ASSESSMENT_FIELDS}
    for name in ASSESSMENT_FIELDS:
        if name in data:
            setattr(assessment, name, data[name])
    if assessment.pregnancy_test not in PreDoseAssessment.Pregnancy.values:
        raise ValidationFailed.single("pregnancy_test", "Choose a result.")
    # The form shows what was saved, so saving it again sends the same weight and
    # baseline: an unchanged value is kept, not recorded a second time.
    if weight_kg is not None and _same_weight(assessment, weight_kg, access.clinic.today()):
        weight_kg = None
    if baseline and _same_baseline(baseline_of(session), baseline):
        baseline = None
    if weight_kg is not None:
        assessment.weight = patients.record_add(
            access=access,
            patient_id=session.patient_id,
            model=BodyMeasurement,
            data={"measured_on": access.clinic.today(), "weight_kg": weight_kg},
        )
    if baseline:
        from ketacare.treatment.charting import baseline_record  # charting imports us

        baseline_record(access, session, baseline)
    assessment.updated_by = access.user
    assessment.version += 1
    assessment.save()
    audit_session(
        access,
        session,
        object_type="predoseassessment",
        object_id=assessment.pk,
        changes={
            f: [before[f], getattr(assessment, f)]
            for f in ASSESSMENT_FIELDS
            if before[f] != getattr(assessment, f)
        }
        | ({"weight_kg": [None, weight_kg]} if weight_kg is not None else {}),
    )
    return assessment


def _same_weight(assessment: PreDoseAssessment, weight_kg: Decimal, today: dt.date) -> bool:
    weight = assessment.weight
    return (
        weight is not None
        and weight.entered_in_error_at is None
        and weight.measured_on == today
        and weight.weight_kg == weight_kg
    )


def _same_baseline(current: VitalReading | None, values: Mapping[str, Any]) -> bool:
    return current is not None and all(
        getattr(current, name) == value for name, value in values.items()
    )


@transaction.atomic
def bp_decision_record(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    decision: str,
    reason: str,
) -> PreDoseAssessment:
    """The prescriber's decision on a baseline above the blood-pressure gate."""
    access.require(Permission.ORDER_DOSES)
    session = locked_session(access, patient_id, session_id)
    if session.state not in {State.CHECKED_IN, State.PRE_DOSE}:
        raise ValidationFailed.single("status", "The decision is made before dosing.")
    if decision not in {"proceed", "treat", "defer"}:
        raise ValidationFailed.single("decision", "Choose proceed, treat or defer.")
    if not reason.strip():
        raise ValidationFailed.single("reason", "Give the reason for the decision.")
    assessment = _assessment_of(access, session)
    before = assessment.bp_decision
    assessment.bp_decision = decision
    assessment.bp_decision_reason = reason.strip()[:500]
    assessment.bp_decided_by = access.user
    assessment.bp_decided_at = clock.now()
    assessment.version += 1
    assessment.save()
    audit_session(
        access,
        session,
        object_type="predoseassessment",
        object_id=assessment.pk,
        changes={"bp_decision": [before, decision], "bp_decision_reason": ["", reason]},
    )
    return assessment


# --- dosing preconditions --------------------------------------------------------------


def rems_enrolled(patient: Patient) -> bool:
    latest = RemsEnrollment.objects.filter(patient=patient).first()
    return latest is not None and latest.status == RemsEnrollment.Status.ENROLLED


def _weight_current(session: TreatmentSession, max_age_days: int) -> bool:
    latest = (
        BodyMeasurement.objects.filter(patient_id=session.patient_id, entered_in_error_at=None)
        .order_by("-measured_on")
        .values_list("measured_on", flat=True)
        .first()
    )
    return rules.weight_current(latest, session.clinic.today(), max_age_days)


def earlier_sessions(session: TreatmentSession) -> int:
    """The patient's sessions of the same drug given before this one."""
    protocol = protocol_of(session)
    if protocol is None:
        return 0
    same_drug = [c for c, p in SHIPPED.items() if p.drug == protocol.drug]
    return (
        TreatmentSession.objects.filter(
            patient_id=session.patient_id,
            protocol_code__in=same_drug,
            status__in=TreatmentSession.GIVEN_STATUSES,
        )
        .exclude(pk=session.pk)
        .count()
    )


def first_dose_refusal_of(session: TreatmentSession, dose_mg: Decimal, reason: str) -> str:
    protocol = protocol_of(session)
    if protocol is None:
        return ""
    return first_dose_refusal(
        protocol, dose_mg, earlier_sessions=earlier_sessions(session), reason=reason
    )


def dosing_facts(session: TreatmentSession, dose_mg: Decimal | None) -> lifecycle.DosingFacts:
    """Everything the first dose needs, gathered from the record."""
    settings_ = session_settings(session.clinic).rules()
    protocol = protocol_of(session)
    assessment = PreDoseAssessment.objects.filter(session=session).first()
    baseline = baseline_of(session)
    complete = baseline is not None and None not in (
        baseline.systolic,
        baseline.diastolic,
        baseline.heart_rate,
        baseline.spo2,
        baseline.respiratory_rate,
    )
    gate_open = (
        complete
        and baseline is not None
        and (
            not rules.gate_for(settings_, protocol).closed_by(
                baseline.systolic or 0, baseline.diastolic or 0
            )
            or (assessment is not None and assessment.bp_decision == "proceed")
        )
    )
    order = active_order(session)
    ordered = order.dose_mg
    allows, screening_why = screening_allows(session)
    esketamine = rules.is_esketamine(protocol)
    female = session.patient.sex_at_birth == "female"
    # The consent rule (ketacare.consent.core.consent_verdict): staff-recorded consents
    # and the patient's e-consents covering this form of treatment (or every form).
    consent = treatment_consent_verdict(
        patient=session.patient,
        form=protocol.route.value if protocol else "",
        today=session.clinic.today(),
    )
    return lifecycle.DosingFacts(
        prescriber_required_on_site=rules.prescriber_required_on_site(settings_, protocol),
        prescriber_assigned=session.supervising_prescriber_id is not None,
        prescriber_attested_on_site=session.supervisor_on_site_at is not None,
        baseline_vitals_recorded=complete,
        blood_pressure_gate_open=bool(gate_open),
        order_matches_dose=ordered is not None and dose_mg is not None and ordered == dose_mg,
        weight_current=not rules.is_weight_based(protocol)
        or _weight_current(session, settings_.weight_max_age_days),
        pregnancy_test_done=not (settings_.pregnancy_test_required and female)
        or (assessment is not None and assessment.pregnancy_test in {"negative", "not_applicable"}),
        fasting_confirmed=not esketamine
        or (
            assessment is not None
            and assessment.fasting_confirmed
            and assessment.no_decongestant_confirmed
        ),
        rems_enrolled=not esketamine or rems_enrolled(session.patient),
        screening_allows=allows,
        screening_reason="" if allows else screening_why,
        order_double_checked=order.checked,
        dose_refusal=dosing.dose_refusal(
            clinic=session.clinic,
            patient=session.patient,
            protocol_code=session.protocol_code,
            dose_mg=ordered,
        )
        if ordered is not None and session.protocol_code
        else "",
        treatment_consent=consent.ok,
        consent_reason=consent.reason,
        first_dose_refusal=first_dose_refusal_of(session, ordered, session.first_dose_reason)
        if ordered is not None
        else "",
    )


# --- discharge, signing, addenda -------------------------------------------------------


def due_readings(
    session: TreatmentSession,
    readings: list[VitalReading],
    *,
    settings_: rules.SessionRules,
    charted: bool,
    now: dt.datetime,
) -> list[monitoring.DueReading]:
    """The session's schedule of readings matched with those taken. Only a session charted
    here (it has an administration) has a schedule. After esketamine, a blood pressure
    still high at or after the 40-min reading keeps further readings due (label §5.6)."""
    if session.dosing_started_at is None or not charted:
        return []
    protocol = protocol_of(session)
    schedule = rules.schedule_for(protocol)
    times = monitoring.due_times(
        schedule,
        dosing_started=session.dosing_started_at,
        dosing_ended=session.dosing_ended_at,
        now=now,
    )
    valid = [r for r in readings if not r.is_baseline and r.entered_in_error_at is None]
    if rules.is_esketamine(protocol):
        times += _bp_rechecks(session, readings, settings_, now)
    if session.discharged_at:
        times = [t for t in times if t <= session.discharged_at]
    tolerance = dt.timedelta(minutes=schedule.tolerance_min)
    return monitoring.match_readings(
        sorted(set(times)), [r.taken_at for r in valid], tolerance=tolerance
    )


def _bp_rechecks(
    session: TreatmentSession,
    readings: list[VitalReading],
    settings_: rules.SessionRules,
    now: dt.datetime,
) -> list[dt.datetime]:
    assert session.dosing_started_at is not None
    first_due = session.dosing_started_at + dt.timedelta(minutes=35)  # the 40-min, less 5
    last = _last_bp(readings)
    if last is None or last.taken_at < first_due or not _bp_unsettled(readings, settings_):
        return []
    every = dt.timedelta(minutes=settings_.esketamine_bp_recheck_min)
    return monitoring.recheck_times(last.taken_at, every=every, now=now)


def _last_bp(readings: list[VitalReading]) -> VitalReading | None:
    return next(
        (
            r
            for r in reversed(readings)
            if not r.is_baseline
            and r.entered_in_error_at is None
            and r.systolic is not None
            and r.diastolic is not None
        ),
        None,
    )


def _bp_unsettled(readings: list[VitalReading], settings_: rules.SessionRules) -> str:
    last = _last_bp(readings)
    base = next(
        (r for r in reversed(readings) if r.is_baseline and r.entered_in_error_at is None), None
    )
    return settings_.esketamine_discharge_bp.unsettled(
        (last.systolic, last.diastolic) if last and last.systolic and last.diastolic else None,
        (base.systolic, base.diastolic) if base and base.systolic and base.diastolic else None,
    )


def holds_of(session: TreatmentSession, readings: list[VitalReading]) -> discharge.Holds:
    """Missed readings, open urgent alerts and (after esketamine) a blood pressure not
    yet back: what keeps a patient, or a record from being signed."""
    settings_ = session_settings(session.clinic).rules()
    now = clock.now()
    due = due_readings(
        session,
        readings,
        settings_=settings_,
        charted=Administration.objects.filter(session=session).exists(),
        now=now,
    )
    tolerance = dt.timedelta(minutes=rules.schedule_for(protocol_of(session)).tolerance_min)
    urgent = SessionAlert.objects.filter(
        session=session, acknowledged_at__isnull=True, severity=monitoring.Severity.URGENT
    ).values_list("message", flat=True)
    esketamine = rules.is_esketamine(protocol_of(session)) and session.dosing_started_at
    return discharge.Holds(
        overdue=tuple(
            f"{timezone.localtime(d.due_at):%H:%M}" for d in due if d.overdue(now, tolerance)
        ),
        open_urgent=tuple(urgent),
        blood_pressure=_bp_unsettled(readings, settings_) if esketamine else "",
        released=session.released_at is not None,
    )


def discharge_blockers_of(session: TreatmentSession) -> tuple[str, ...]:
    settings_ = session_settings(session.clinic).rules()
    protocol = protocol_of(session)
    checklist = discharge.DischargeChecklist(
        **{k: bool(session.discharge_checklist.get(k)) for k in discharge.CHECKLIST_LABELS}
    )
    readings = list(VitalReading.objects.filter(session=session))
    valid = [r for r in readings if r.entered_in_error_at is None]
    latest = valid[-1] if valid else None
    baseline = baseline_of(session)
    last_ok = latest is None or monitoring.within_thresholds(
        as_reading(latest),
        baseline=as_reading(baseline) if baseline else None,
        limits=settings_.thresholds,
    )
    return discharge.discharge_blockers(
        checklist,
        observation=rules.observation(
            settings_,
            protocol,
            dosing_started=session.dosing_started_at,
            dosing_ended=session.dosing_ended_at,
        ),
        now=clock.now(),
        last_reading_ok=last_ok,
        holds=holds_of(session, readings),
    )


@transaction.atomic
def discharge_release(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID, reason: str
) -> TreatmentSession:
    """A prescriber releases the patient despite missed readings or a blood pressure not
    yet back toward baseline, with the reason (audited, shown on the page). The
    checklist, the minimum observation and unacknowledged urgent alerts still hold."""
    access.require(Permission.ORDER_DOSES)
    session = locked_session(access, patient_id, session_id)
    if session.state not in {State.MONITORING, State.READY_FOR_DISCHARGE}:
        raise ValidationFailed.single("status", "A release is given after dosing ends.")
    if not reason.strip():
        raise ValidationFailed.single("reason", "Reason for the release: give the reason.")
    session.released_at = clock.now()
    session.released_by = access.user
    session.release_reason = reason.strip()[:500]
    session.version += 1
    session.save()
    audit_session(
        access,
        session,
        changes={"release_reason": ["", session.release_reason]},
        details={"event": "release"},
    )
    return session


@transaction.atomic
def checklist_save(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    version: int,
    items: Mapping[str, bool],
    stable_at: dt.datetime | None = None,
) -> TreatmentSession:
    """Save the discharge checklist; `version` guards against overwriting a colleague.
    The first save with every criterion met stamps when the patient was ready to leave,
    unless `stable_at` says when."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    if session.state not in {State.MONITORING, State.READY_FOR_DISCHARGE}:
        raise ValidationFailed.single("status", "The checklist is filled in after dosing ends.")
    if version != session.version:
        raise _conflict("This session", "a colleague", session.updated_at)
    before = dict(session.discharge_checklist)
    after = {name: bool(items.get(name)) for name in discharge.CHECKLIST_LABELS}
    session.discharge_checklist = after
    if stable_at is None and all(after.values()) and session.stable_at is None:
        stable_at = clock.now()  # every criterion met: ready to leave (the REMS form asks)
    if stable_at is not None:
        session.stable_at = stable_at
    session.version += 1
    session.save()
    audit_session(
        access,
        session,
        changes={"discharge_checklist": [before, after], "stable_at": [None, stable_at]},
        details={"event": "checklist"},
    )
    return session


@transaction.atomic
def session_discharge(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> TreatmentSession:
    """Discharge the patient, when every criterion holds (and, for esketamine, 2 hours have
    passed since the first device). An outpatient esketamine session opens its REMS form."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    now = clock.now()
    session = apply(
        access,
        session,
        Event.DISCHARGE,
        discharge_blockers=discharge_blockers_of(session),
        stamp={"discharged_at": now, "discharged_by": access.user},
    )
    if rules.is_esketamine(protocol_of(session)):
        form, created = RemsMonitoringForm.objects.get_or_create(
            session=session,
            defaults={"clinic": access.clinic, "due_on": rems.due_on(access.clinic.date_of(now))},
        )
        if created:
            audit_session(
                access,
                session,
                action=Action.CREATE,
                object_type="remsmonitoringform",
                object_id=form.pk,
                changes={"due_on": [None, form.due_on]},
            )
    return session


@transaction.atomic
def session_sign(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> TreatmentSession:
    """The prescriber signs: the record locks; corrections are addenda from now on."""
    access.require(Permission.ORDER_DOSES)
    session = locked_session(access, patient_id, session_id)
    holds = holds_of(session, list(VitalReading.objects.filter(session=session)))
    others = tuple(reason for check in SIGN_CHECKS for reason in check(session))
    return apply(
        access,
        session,
        Event.SIGN,
        discharge_blockers=discharge.sign_blockers(holds) + others,
        stamp={"signed_at": clock.now(), "signed_by": access.user},
    )


@transaction.atomic
def addendum_add(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID, text: str, reason: str
) -> Addendum:
    """A correction or late entry on a locked session: who, when and why; the original
    record is untouched and stays visible."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    if session.state not in lifecycle.LOCKED_STATES:
        raise ValidationFailed.single(
            "status", "The session is not locked yet: correct the entry itself."
        )
    if not text.strip() or not reason.strip():
        raise ValidationFailed(
            {k: ["Required."] for k, v in (("text", text), ("reason", reason)) if not v.strip()}
        )
    addendum = Addendum.objects.create(
        clinic=access.clinic,
        session=session,
        entered_by=access.user,
        text=text.strip(),
        reason=reason.strip()[:300],
    )
    audit_session(
        access,
        session,
        action=Action.CREATE,
        object_type="addendum",
        object_id=addendum.pk,
        changes={"text": [None, addendum.text], "reason": [None, addendum.reason]},
    )
    return addendum


# --- REMS -----------------------------------------------------------------------------


@transaction.atomic
def rems_enroll(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    enrolled_on: dt.date,
    status: str = RemsEnrollment.Status.ENROLLED,
) -> RemsEnrollment:
    """Record the patient's Spravato REMS enrollment (clinical.md §5.2): a new row per
    change, so the history stays."""
    access.require(Permission.EDIT_CLINICAL)
    patient = patient_get(access=access, patient_id=patient_id)
    if status not in RemsEnrollment.Status.values:
        raise ValidationFailed.single("status", "Choose enrolled, pending or disenrolled.")
    if enrolled_on > access.clinic.today():
        raise ValidationFailed.single("enrolled_on", "The date cannot be in the future.")
    enrollment = RemsEnrollment.objects.create(
        clinic=access.clinic,
        patient=patient,
        enrolled_on=enrolled_on,
        status=status,
        recorded_by=access.user,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="remsenrollment",
        object_id=enrollment.pk,
        patient_id=patient.pk,
        changes={"enrolled_on": [None, enrolled_on], "status": [None, status]},
    )
    return enrollment


@transaction.atomic
def rems_form_submit(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    submitted_on: dt.date,
    confirmation_number: str,
) -> RemsMonitoringForm:
    """Record that the form was submitted to the REMS (date and confirmation number).
    Refused while a field of the form is still empty."""
    from ketacare.treatment.selectors import rems_form_values

    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    form = RemsMonitoringForm.objects.select_for_update().filter(session=session).first()
    if form is None:
        raise NotFound("rems form")
    if form.status == RemsMonitoringForm.Status.SUBMITTED:
        raise ValidationFailed.single("status", "The form is already submitted.")
    if not confirmation_number.strip():
        raise ValidationFailed.single("confirmation_number", "Enter the confirmation number.")
    missing = rems.missing_fields(rems_form_values(session))
    if missing:
        raise ValidationFailed.single("form", "Not filled from the record: " + ", ".join(missing))
    form.status = RemsMonitoringForm.Status.SUBMITTED
    form.submitted_on = submitted_on
    form.confirmation_number = confirmation_number.strip()[:60]
    form.submitted_by = access.user
    form.save()
    audit_session(
        access,
        session,
        object_type="remsmonitoringform",
        object_id=form.pk,
        changes={
            "status": ["draft", "submitted"],
            "confirmation_number": [None, form.confirmation_number],
        },
    )
    return form


# --- settings ---------------------------------------------------------------------------

SETTING_FIELDS = tuple(
    f.name
    for f in ClinicSessionSettings._meta.get_fields()
    if f.name not in {"id", "clinic", "updated_at", "updated_by"}
)


@transaction.atomic
def settings_save(*, access: ClinicAccess, data: Mapping[str, Any]) -> ClinicSessionSettings:
    """Save the clinic's session settings; each value is checked against its accepted
    range (ketacare.treatment.rules.SETTING_SPECS)."""
    access.require(Permission.MANAGE_PROTOCOLS)
    unknown = set(data) - set(SETTING_FIELDS)
    errors = {name: ["Not a session setting."] for name in unknown}
    errors |= rules.setting_errors({k: v for k, v in data.items() if k not in unknown})
    if errors:
        raise ValidationFailed(errors)
    row, _ = ClinicSessionSettings.objects.select_for_update().get_or_create(clinic=access.clinic)
    before = {f: getattr(row, f) for f in SETTING_FIELDS}
    for name in SETTING_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    row.updated_by = access.user
    row.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="clinicsessionsettings",
        object_id=row.pk,
        changes={
            f: [before[f], getattr(row, f)] for f in SETTING_FIELDS if before[f] != getattr(row, f)
        },
    )
    return row
