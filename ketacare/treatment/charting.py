"""Charting during a session: vital signs (idempotent on the client's reading id) and the
alerts they raise, acknowledgements, the administration with its pump and device events,
side effects and adverse events. Entries are append-only; a wrong one is marked entered
in error, never changed or deleted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, Entry
from ketacare.common import clock
from ketacare.common.course_state import course_state_refresh
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.common.statements import Param, Select, insert_rows
from ketacare.dosing.protocols import Route
from ketacare.treatment import discharge, monitoring, reconcile, rems, rules, validation
from ketacare.treatment.lifecycle import Event, State
from ketacare.treatment.models import (
    Administration,
    AdministrationEvent,
    AdverseEvent,
    SessionAlert,
    SideEffect,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatment.services import (
    apply,
    as_reading,
    audit_session,
    audit_session_many,
    baseline_of,
    dosing_facts,
    latest_baseline,
    locked_session,
    protocol_of,
    require_charting,
    session_settings,
)

VITAL_FIELDS = tuple(validation.VITAL_LABELS)


@dataclass(frozen=True)
class ReadingIn:
    reading_id: str
    taken_at: dt.datetime
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Stored:
    reading: VitalReading
    created: bool
    alerts: list[SessionAlert]


# --- vital signs -------------------------------------------------------------------------


def _validate(index: int, reading: ReadingIn, window: validation.Window) -> dict[str, list[str]]:
    prefix = f"readings.{index}." if index >= 0 else ""
    errors: dict[str, list[str]] = {}
    if not reading.reading_id.strip() or len(reading.reading_id) > 64:
        errors["reading_id"] = ["Give a reading id of 1-64 characters."]
    if message := window.error(reading.taken_at):
        errors["taken_at"] = [message]
    errors |= validation.vital_errors(reading.values)
    return {f"{prefix}{name}": messages for name, messages in errors.items()}


def _window(session: TreatmentSession) -> validation.Window:
    return validation.reading_window(
        scheduled_start=session.scheduled_start,
        checked_in_at=session.checked_in_at,
        now=clock.now(),
    )


def _same(row: VitalReading, reading: ReadingIn) -> bool:
    return row.taken_at == reading.taken_at and all(
        _norm(getattr(row, f)) == _norm(reading.values.get(f)) for f in VITAL_FIELDS
    )


def _norm(value: Any) -> Any:
    return None if value is None else Decimal(str(value))


def _reading_row(
    access: ClinicAccess,
    session: TreatmentSession,
    reading: ReadingIn,
    source: str,
    is_baseline: bool = False,
) -> VitalReading:
    """The row of one reading, not yet saved."""
    return VitalReading(
        clinic=access.clinic,
        session=session,
        entered_by=access.user,
        reading_id=reading.reading_id,
        taken_at=reading.taken_at,
        source=source,
        is_baseline=is_baseline,
        **{f: reading.values.get(f) for f in VITAL_FIELDS},
    )


def _store(
    access: ClinicAccess,
    session: TreatmentSession,
    reading: ReadingIn,
    *,
    source: str,
    is_baseline: bool = False,
) -> Stored:
    existing = VitalReading.objects.filter(session=session, reading_id=reading.reading_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                row = _reading_row(access, session, reading, source, is_baseline)
                row.save(force_insert=True)
        except IntegrityError:  # the same id posted concurrently: theirs won
            existing = VitalReading.objects.get(session=session, reading_id=reading.reading_id)
        else:
            audit_session_many(access, session, [_reading_entry(row)])
            return Stored(row, True, _raise_alerts(access, session, row))
    if not _same(existing, reading):
        raise ValidationFailed.single(
            "reading_id",
            f"Reading {reading.reading_id} is already stored with other values; a stored "
            "reading is never changed: mark it entered in error and post a new one.",
        )
    return Stored(existing, False, [])


def _raise_alerts(
    access: ClinicAccess, session: TreatmentSession, row: VitalReading
) -> list[SessionAlert]:
    if row.is_baseline:
        return []
    limits = session_settings(session.clinic).rules().thresholds
    alert = _alert_for(access, session, row, baseline_of(session), limits)
    if alert is None:
        return []
    alert.save()
    audit_session_many(access, session, [_alert_entry(alert)])
    return [alert]


@transaction.atomic
def vitals_record(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    readings: Sequence[ReadingIn],
    source: str = VitalReading.Source.MANUAL,
) -> list[Stored]:
    """Store readings, once each: a reading id already stored with the same values is
    answered as stored; with different values, the whole batch is refused."""
    access.require(Permission.EDIT_CLINICAL)
    if not readings:
        raise ValidationFailed.single("readings", "Send at least one reading.")
    session = locked_session(access, patient_id, session_id, with_patient=False)
    require_charting(session)
    window = _window(session)
    errors: dict[str, list[str]] = {}
    for index, reading in enumerate(readings):
        errors |= _validate(index if len(readings) > 1 else -1, reading, window)
    if errors:
        raise ValidationFailed(errors)
    return _store_many(access, session, readings, source=source)


def _store_many(
    access: ClinicAccess, session: TreatmentSession, readings: Sequence[ReadingIn], *, source: str
) -> list[Stored]:
    """_store for a batch, in a number of queries that grows with neither the batch nor
    the readings already charted: one look-up of the batch's ids with the baseline, the
    settings once, one insert of the new readings and one of their alerts, and the audit
    events (each reading's, then its alert's, as _store writes them) in one link of the
    chain, taken last. The caller holds the session row lock, which every writer of
    readings takes, so no other transaction can store one of these ids meanwhile."""
    wanted = {r.reading_id for r in readings}
    # The batch's ids and the session's baseline in one look-up: a new reading is never
    # a baseline (baseline_record stores those), so the baseline read here is the one the
    # alerts compare with.
    if len(wanted) == 1:  # a monitor's usual call: compiled once (common/statements.py)
        known = _KNOWN_ONE.rows(session=session.pk, reading_id=next(iter(wanted)))
    else:
        known = list(_known(session.pk, list(wanted)))
    stored = {row.reading_id: row for row in known if row.reading_id in wanted}
    baseline = latest_baseline(known)
    answers: list[tuple[VitalReading, bool]] = []
    new: list[VitalReading] = []
    for reading in readings:
        existing = stored.get(reading.reading_id)
        if existing is not None:
            if not _same(existing, reading):
                raise ValidationFailed.single(
                    "reading_id",
                    f"Reading {reading.reading_id} is already stored with other values; a "
                    "stored reading is never changed: mark it entered in error and post a "
                    "new one.",
                )
            answers.append((existing, False))
            continue
        row = _reading_row(access, session, reading, source)
        stored[reading.reading_id] = row  # the same id twice in a batch: stored once
        new.append(row)
        answers.append((row, True))
    if not new:
        return [Stored(row, False, []) for row, _ in answers]
    # No savepoint: every writer of readings holds the session row lock (and on SQLite
    # every transaction is IMMEDIATE), so none of these ids can be stored between the
    # look-up and this insert; the unique constraint stays as the backstop.
    insert_rows(new)
    limits = session_settings(session.clinic).rules().thresholds
    alerts = {row.pk: _alert_for(access, session, row, baseline, limits) for row in new}
    raised = [a for a in alerts.values() if a is not None]
    if raised:
        insert_rows(raised)
    entries = []
    for row in new:
        entries.append(_reading_entry(row))
        if (alert := alerts[row.pk]) is not None:
            entries.append(_alert_entry(alert))
    audit_session_many(access, session, entries)
    return [
        Stored(row, created, [a] if created and (a := alerts[row.pk]) else [])
        for row, created in answers
    ]


def _known(session: Any, reading_ids: list[Any]) -> QuerySet[VitalReading]:
    """The session's readings with these ids, and its live baselines."""
    return (
        VitalReading.objects.filter(session_id=session)
        .filter(
            Q(reading_id__in=reading_ids) | Q(is_baseline=True, entered_in_error_at__isnull=True)
        )
        .order_by()
    )


_KNOWN_ONE = Select(
    lambda: _known(
        Param("session", TreatmentSession._meta.pk),
        [Param("reading_id", VitalReading._meta.get_field("reading_id"))],
    )
)


def _reading_entry(row: VitalReading) -> Entry:
    return Entry(
        action=Action.CREATE,
        object_type="vitalreading",
        object_id=row.pk,
        changes={f: [None, getattr(row, f)] for f in ("taken_at", *VITAL_FIELDS)},
    )


def _alert_entry(alert: SessionAlert) -> Entry:
    return Entry(
        action=Action.CREATE,
        object_type="sessionalert",
        object_id=alert.pk,
        details={"rule": alert.rule, "message": alert.message},
    )


def _alert_for(
    access: ClinicAccess,
    session: TreatmentSession,
    row: VitalReading,
    baseline: VitalReading | None,
    limits: monitoring.Thresholds,
) -> SessionAlert | None:
    """The alert a reading raises (unsaved), by every rule, or None."""
    if row.is_baseline:
        return None
    raised = monitoring.alert_for(
        as_reading(row), baseline=as_reading(baseline) if baseline else None, limits=limits
    )
    if raised is None:
        return None
    return SessionAlert(
        clinic=access.clinic,
        session=session,
        reading=row,
        rule=raised.rule,
        severity=raised.severity.value,
        message=raised.message[:600],
        findings=[
            {"rule": f.rule, "severity": f.severity.value, "message": f.message}
            for f in raised.findings
        ],
        source=raised.source,
        raised_at=clock.now(),
    )


def baseline_record(
    access: ClinicAccess, session: TreatmentSession, values: Mapping[str, Any]
) -> VitalReading:
    """The pre-dose baseline (called from the assessment, inside its transaction). A new
    baseline supersedes the previous one, which is marked entered in error, not changed."""
    reading = ReadingIn(
        reading_id=f"baseline-{uuid.uuid4().hex[:12]}", taken_at=clock.now(), values=values
    )
    errors = _validate(-1, reading, _window(session))
    if errors:
        raise ValidationFailed(errors)
    previous = baseline_of(session)
    stored = _store(access, session, reading, source=VitalReading.Source.MANUAL, is_baseline=True)
    if previous is not None:
        _retract(access, session, previous, "superseded by a new baseline")
    return stored.reading


# --- entered in error ------------------------------------------------------------------

ENTRY_MODELS: dict[str, type[VitalReading | SideEffect | AdverseEvent]] = {
    "vitals": VitalReading,
    "side-effects": SideEffect,
    "adverse-events": AdverseEvent,
}


def _retract(access: ClinicAccess, session: TreatmentSession, entry: Any, reason: str) -> None:
    entry.entered_in_error_at = clock.now()
    entry.entered_in_error_by = access.user
    entry.entered_in_error_reason = reason[:300]
    entry.save()
    audit_session(
        access,
        session,
        object_type=type(entry)._meta.model_name or "",
        object_id=entry.pk,
        changes={"entered_in_error_reason": ["", entry.entered_in_error_reason]},
    )
    if isinstance(entry, VitalReading):
        _close_alerts_of(access, session, entry)


def _close_alerts_of(access: ClinicAccess, session: TreatmentSession, row: VitalReading) -> None:
    """An alert raised by a reading entered in error is closed, saying so, with who and why
    (it stays on the chart)."""
    for alert in SessionAlert.objects.select_for_update().filter(
        reading=row, acknowledged_at__isnull=True
    ):
        alert.acknowledged_at = row.entered_in_error_at
        alert.acknowledged_by = access.user
        alert.action = SessionAlert.Action.READING_IN_ERROR
        alert.note = row.entered_in_error_reason[:500]
        alert.save()
        audit_session(
            access,
            session,
            action=Action.ACKNOWLEDGE,
            object_type="sessionalert",
            object_id=alert.pk,
            changes={"action": [None, alert.action], "note": [None, alert.note]},
            details={"closed_because": "reading entered in error"},
        )


@transaction.atomic
def entry_mark_in_error(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    kind: str,
    entry_id: uuid.UUID,
    reason: str,
) -> Any:
    """Mark a reading, side effect or adverse event entered in error (it stays visible)."""
    access.require(Permission.EDIT_CLINICAL)
    model = ENTRY_MODELS.get(kind)
    if model is None:
        raise NotFound(kind)
    session = locked_session(access, patient_id, session_id)
    entry = model.objects.select_for_update().filter(session=session, pk=entry_id).first()
    if entry is None:
        raise NotFound(kind)
    require_charting(session)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Give a reason.")
    if entry.entered_in_error_at is not None:
        raise ValidationFailed.single("reason", "Already marked entered in error.")
    _retract(access, session, entry, reason.strip())
    return entry


@transaction.atomic
def reading_mark_in_error(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    reading_id: str,
    reason: str,
) -> VitalReading:
    """Mark a reading entered in error, naming it by the client's reading id (what a
    monitor integration knows)."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    row = VitalReading.objects.filter(session=session, reading_id=reading_id).first()
    if row is None:
        raise NotFound("reading")
    return entry_mark_in_error(
        access=access,
        patient_id=patient_id,
        session_id=session_id,
        kind="vitals",
        entry_id=row.pk,
        reason=reason,
    )


# --- alerts ------------------------------------------------------------------------------


def acknowledgement_actions(session: TreatmentSession) -> tuple[str, ...]:
    """The actions that fit the session's route and state; the first is the default."""
    protocol = protocol_of(session)
    route = protocol.route.value if protocol else ""
    return monitoring.acknowledgement_actions(route, dosing=session.state is State.DOSING)


@transaction.atomic
def alert_acknowledge(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    alert_id: uuid.UUID,
    action: str,
    note: str = "",
) -> SessionAlert:
    access.require(Permission.ACKNOWLEDGE_ALERTS)
    session = locked_session(access, patient_id, session_id)
    alert = SessionAlert.objects.select_for_update().filter(session=session, pk=alert_id).first()
    if alert is None:
        raise NotFound("alert")
    allowed = acknowledgement_actions(session)
    if action not in allowed:
        raise ValidationFailed.single(
            "action",
            "Choose the action taken: "
            + ", ".join(monitoring.ACK_LABELS[a].lower() for a in allowed)
            + ".",
        )
    if alert.acknowledged_at is not None:
        raise ValidationFailed.single(
            "action",
            f"Already acknowledged by {alert.acknowledged_by} at "
            f"{alert.acknowledged_at:%H:%M:%S} ({alert.get_action_display().lower()}).",
        )
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = access.user
    alert.action = action
    alert.note = note.strip()[:500]
    alert.save()
    audit_session(
        access,
        session,
        action=Action.ACKNOWLEDGE,
        object_type="sessionalert",
        object_id=alert.pk,
        changes={"action": [None, action], "note": [None, alert.note]},
    )
    return alert


# --- administration ----------------------------------------------------------------------


def _event(
    access: ClinicAccess, administration: Administration, kind: str, **fields: Any
) -> AdministrationEvent:
    event = AdministrationEvent.objects.create(
        clinic=access.clinic,
        session=administration.session,
        administration=administration,
        entered_by=access.user,
        kind=kind,
        at=clock.now(),
        **fields,
    )
    audit_session(
        access,
        administration.session,
        action=Action.CREATE,
        object_type="administrationevent",
        object_id=event.pk,
        changes={"kind": [None, kind], **{k: [None, v] for k, v in fields.items()}},
    )
    return event


@transaction.atomic
def administration_start(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    dose_mg: Decimal,
    formulation: str,
    lot_number: str,
    expiry: dt.date,
    concentration_mg_per_ml: Decimal | None = None,
    pump_rate_ml_per_h: Decimal | None = None,
    injection_site: str = "",
    container_ref: str = "",
) -> Administration:
    """Start dosing with the dose about to be given: refused, with every reason, unless the
    state machine's preconditions hold (prescriber on site, baseline, gate, order...).
    For intranasal esketamine this records the first device."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    protocol = protocol_of(session)
    if protocol is None:
        raise ValidationFailed.single("protocol_code", "No protocol is recorded on the session.")
    errors = _administration_errors(protocol.route, locals(), access.clinic.today())
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    session = apply(
        access,
        session,
        Event.START_DOSING,
        dosing=dosing_facts(session, dose_mg),
        stamp={"dosing_started_at": now},
    )
    administration = Administration.objects.create(
        clinic=access.clinic,
        session=session,
        drug=protocol.drug.value,
        route=protocol.route.value,
        formulation=formulation.strip(),
        concentration_mg_per_ml=concentration_mg_per_ml,
        lot_number=lot_number.strip(),
        expiry=expiry,
        dose_ordered_mg=session.ordered_dose_mg or dose_mg,
        pump_rate_ml_per_h=pump_rate_ml_per_h,
        injection_site=injection_site.strip(),
        container_ref=container_ref.strip(),
        started_at=now,
        recorded_by=access.user,
    )
    audit_session(
        access,
        session,
        action=Action.CREATE,
        object_type="administration",
        object_id=administration.pk,
        changes={
            "dose_ordered_mg": [None, administration.dose_ordered_mg],
            "lot_number": [None, administration.lot_number],
            "expiry": [None, expiry],
            "route": [None, administration.route],
        },
    )
    course_state_refresh(access.clinic, session.patient_id)  # the course's route
    if protocol.route is Route.INTRANASAL:
        _event(access, administration, AdministrationEvent.Kind.DEVICE, dose_mg=rems.DEVICE_MG)
    else:
        _event(
            access, administration, AdministrationEvent.Kind.START, rate_ml_per_h=pump_rate_ml_per_h
        )
    return administration


def _administration_errors(
    route: Route, given: Mapping[str, Any], today: dt.date
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in ("formulation", "lot_number"):
        if not str(given[name]).strip():
            errors[name] = ["Required."]
    if given["expiry"] < today:
        errors["expiry"] = ["This lot has expired: do not use it."]
    if given["dose_mg"] is None or given["dose_mg"] <= 0:
        errors["dose_mg"] = ["Enter the dose about to be given."]
    if route is Route.IV and not given["pump_rate_ml_per_h"]:
        errors["pump_rate_ml_per_h"] = ["Enter the pump rate."]
    if route is Route.IV and not given["concentration_mg_per_ml"]:
        errors["concentration_mg_per_ml"] = [
            "Enter the concentration: the dose given is computed from the pump record."
        ]
    if route is Route.IM and not str(given["injection_site"]).strip():
        errors["injection_site"] = ["Enter the injection site."]
    return errors


def _administration(session: TreatmentSession) -> Administration:
    administration = Administration.objects.filter(session=session).first()
    if administration is None or session.state is not State.DOSING:
        raise ValidationFailed.single("status", "Dosing is not under way.")
    return administration


def pump_running(administration: Administration) -> bool:
    last = (
        AdministrationEvent.objects.filter(
            administration=administration,
            kind__in=["start", "pause", "resume"],
            entered_in_error_at=None,
        )
        .order_by("-at", "-created_at")
        .first()
    )
    return last is not None and last.kind != "pause"


@transaction.atomic
def infusion_change(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    kind: str,
    reason: str,
    rate_ml_per_h: Decimal | None = None,
) -> AdministrationEvent:
    """Pause, resume or change the rate of an IV infusion; each with its reason."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    administration = _administration(session)
    if administration.route != Route.IV:
        raise ValidationFailed.single("kind", "Only an IV infusion has a pump.")
    if kind not in {"pause", "resume", "rate"}:
        raise ValidationFailed.single("kind", "Choose pause, resume or rate.")
    if not reason.strip():
        raise ValidationFailed.single("reason", "Give the reason.")
    running = pump_running(administration)
    if kind == "pause" and not running:
        raise ValidationFailed.single("kind", "The infusion is already paused.")
    if kind == "resume" and running:
        raise ValidationFailed.single("kind", "The infusion is running.")
    if kind == "rate" and not (rate_ml_per_h and rate_ml_per_h > 0):
        raise ValidationFailed.single("rate_ml_per_h", "Enter the new rate.")
    if kind == "rate":
        administration.pump_rate_ml_per_h = rate_ml_per_h
        administration.save()
    return _event(
        access, administration, kind, reason=reason.strip()[:300], rate_ml_per_h=rate_ml_per_h
    )


def device_times(administration: Administration) -> list[dt.datetime]:
    return list(
        AdministrationEvent.objects.filter(
            administration=administration, kind="device", entered_in_error_at=None
        ).values_list("at", flat=True)
    )


@transaction.atomic
def device_give(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> AdministrationEvent:
    """The next intranasal device: refused until 5 minutes after the last, with the time
    remaining, and refused beyond the ordered dose."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    administration = _administration(session)
    if administration.route != Route.INTRANASAL:
        raise ValidationFailed.single("kind", "Devices are for intranasal dosing.")
    times = device_times(administration)
    if len(times) * rems.DEVICE_MG >= administration.dose_ordered_mg:
        raise ValidationFailed.single(
            "device",
            f"The ordered {administration.dose_ordered_mg.normalize():f} mg is given "
            f"({len(times)} devices).",
        )
    wait = discharge.next_device(times, clock.now())
    if not wait.allowed:
        raise ValidationFailed.single("device", f"Refused: {wait.reason}.")
    return _event(access, administration, AdministrationEvent.Kind.DEVICE, dose_mg=rems.DEVICE_MG)


def pump_record(
    administration: Administration, until: dt.datetime | None = None
) -> reconcile.Delivered:
    """What the pump delivered by its record (start, pauses, rate changes, stop)."""
    events = AdministrationEvent.objects.filter(
        administration=administration,
        kind__in=["start", "pause", "resume", "rate", "stop"],
        entered_in_error_at=None,
    )
    return reconcile.infusion_delivered(
        [reconcile.PumpEvent(e.kind, e.at, e.rate_ml_per_h) for e in events],
        concentration_mg_per_ml=administration.concentration_mg_per_ml or Decimal(0),
        bag_mg=administration.dose_ordered_mg,
        until=until or administration.stopped_at or clock.now(),
    )


def _dose_given(
    administration: Administration, entered: Decimal | None, now: dt.datetime
) -> Decimal:
    """The dose given: from the pump record (IV), the devices (intranasal), or as
    entered (IM, oral, sublingual). An entry contradicting the record is refused."""
    if administration.route == Route.INTRANASAL:
        return Decimal(len(device_times(administration)) * rems.DEVICE_MG)
    if administration.route == Route.IV:
        delivered = pump_record(administration, now)
        if entered is not None and entered != delivered.mg:
            raise ValidationFailed.single(
                "dose_given_mg",
                f"Dose given: the pump record gives {delivered.mg.normalize():f} mg "
                f"({delivered.explanation}), not {entered.normalize():f} mg.",
            )
        return delivered.mg
    if entered is None or entered < 0:
        raise ValidationFailed.single("dose_given_mg", "Dose given: enter the dose given.")
    return entered


@transaction.atomic
def administration_stop(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    dose_given_mg: Decimal | None = None,
    reason: str = "",
) -> TreatmentSession:
    """End dosing and reconcile the dose given (see _dose_given), then monitoring. A dose
    different from the order needs the reason."""
    access.require(Permission.EDIT_CLINICAL)
    session = locked_session(access, patient_id, session_id)
    administration = _administration(session)
    now = clock.now()
    given = _dose_given(administration, dose_given_mg, now)
    if given != administration.dose_ordered_mg and not reason.strip():
        raise ValidationFailed.single(
            "reason",
            "Reason: "
            + reconcile.difference(given, administration.dose_ordered_mg)
            + "; give the reason.",
        )
    administration.dose_given_mg = given
    administration.stopped_at = now
    administration.save()
    _event(
        access,
        administration,
        AdministrationEvent.Kind.STOP,
        dose_mg=given,
        reason=reason.strip()[:300],
    )
    return apply(access, session, Event.END_DOSING, stamp={"dosing_ended_at": now})


# --- side effects and adverse events ---------------------------------------------------

SEDATION_RANGES = {"moaas": (0, 5), "rass": (-5, 4)}  # MOAA/S 5..0; RASS +4..-5


@transaction.atomic
def side_effect_record(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    effect: str,
    severity: str,
    sedation_scale: str = "",
    sedation_score: int | None = None,
    description: str = "",
) -> SideEffect:
    access.require(Permission.EDIT_CLINICAL)
    errors: dict[str, list[str]] = {}
    if effect not in SideEffect.Effect.values:
        errors["effect"] = ["Choose a side effect from the list."]
    if severity not in SideEffect.Severity.values:
        errors["severity"] = ["Choose mild, moderate or severe."]
    if effect == SideEffect.Effect.SEDATION:
        span = SEDATION_RANGES.get(sedation_scale)
        if span is None:
            errors["sedation_scale"] = ["Name the sedation scale: MOAA/S or RASS."]
        elif sedation_score is None or not span[0] <= sedation_score <= span[1]:
            errors["sedation_score"] = [f"Enter a score from {span[0]} to {span[1]}."]
    if effect == SideEffect.Effect.OTHER and not description.strip():
        errors["description"] = ["Describe the side effect."]
    if errors:
        raise ValidationFailed(errors)
    session = locked_session(access, patient_id, session_id)
    require_charting(session)
    entry = SideEffect.objects.create(
        clinic=access.clinic,
        session=session,
        entered_by=access.user,
        effect=effect,
        severity=severity,
        sedation_scale=sedation_scale if effect == "sedation" else "",
        sedation_score=sedation_score if effect == "sedation" else None,
        description=description.strip()[:300],
        observed_at=clock.now(),
    )
    audit_session(
        access,
        session,
        action=Action.CREATE,
        object_type="sideeffect",
        object_id=entry.pk,
        changes={"effect": [None, effect], "severity": [None, severity]},
    )
    return entry


@transaction.atomic
def adverse_event_record(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    description: str,
    serious: bool,
    action_taken: str,
    outcome: str,
    seriousness: str = "",
    onset_at: dt.datetime | None = None,
) -> AdverseEvent:
    access.require(Permission.EDIT_CLINICAL)
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = ["Describe the event."]
    if not action_taken.strip():
        errors["action_taken"] = ["Record the action taken."]
    if outcome not in AdverseEvent.Outcome.values:
        errors["outcome"] = ["Choose an outcome."]
    if serious and not seriousness.strip():
        errors["seriousness"] = ["Say why it is serious (e.g. hospitalisation)."]
    if errors:
        raise ValidationFailed(errors)
    session = locked_session(access, patient_id, session_id)
    require_charting(session)
    event = AdverseEvent.objects.create(
        clinic=access.clinic,
        session=session,
        entered_by=access.user,
        description=description.strip()[:500],
        serious=serious,
        seriousness=seriousness.strip()[:200],
        action_taken=action_taken.strip()[:300],
        outcome=outcome,
        onset_at=onset_at or clock.now(),
    )
    audit_session(
        access,
        session,
        action=Action.CREATE,
        object_type="adverseevent",
        object_id=event.pk,
        changes={"description": [None, event.description], "serious": [None, serious]},
    )
    return event


def minimum_observation_of(session: TreatmentSession) -> dt.timedelta:
    return rules.minimum_observation(session_settings(session.clinic).rules(), protocol_of(session))
