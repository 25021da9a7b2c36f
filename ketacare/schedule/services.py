"""Front-desk and schedule writes: rooms and chairs, placing a session in a room with a
staff member, booking, check-in, moving, no-shows, cancelling, and the staff calendar-feed
tokens.

The lifecycle stays in ketacare.treatment (booking, check-in, cancel and no-show go through
its services and state machine) and moving a session in ketacare.dosing.session_reschedule
(the plan's spacing and the clinic calendar). This module adds the room and staff rules
(ketacare.schedule.core.conflicts) in the same transaction: a refusal rolls back the whole
change.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.db import transaction
from django.utils import timezone

from ketacare.accounts import tokens
from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Permission, can
from ketacare.audit.services import Action, audit_as, audit_record
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.dosing import services as dosing
from ketacare.schedule import core, selectors
from ketacare.schedule.models import CalendarFeedToken, Room, ScheduleSettings, SessionPlace
from ketacare.treatment import services as treatment
from ketacare.treatment.lifecycle import Event
from ketacare.treatment.models import TreatmentSession

MAX_SESSION_MINUTES = 12 * 60

# --- rooms and settings ----------------------------------------------------------------


@transaction.atomic
def room_save(
    *,
    access: ClinicAccess,
    name: str,
    kind: str = Room.Kind.CHAIR,
    position: int = 0,
    active: bool = True,
    room_id: uuid.UUID | None = None,
) -> Room:
    """Add a room or chair, or change one (renaming, ordering, taking it out of use)."""
    access.require(Permission.MANAGE_CLINIC_CALENDAR)
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the room or chair a name."]
    if kind not in Room.Kind.values:
        errors["kind"] = ["Choose chair or room."]
    if errors:
        raise ValidationFailed(errors)
    room = selectors.room_get(access, room_id) if room_id else Room(clinic=access.clinic)
    before = {
        "name": room.name,
        "kind": room.kind,
        "position": room.position,
        "active": room.active,
    }
    room.name, room.kind, room.position, room.active = name, kind, position, active
    if Room.objects.filter(clinic=access.clinic, name=name).exclude(pk=room.pk).exists():
        raise ValidationFailed.single("name", f"There is already a room or chair named {name}.")
    room.save()
    after = {"name": name, "kind": kind, "position": position, "active": active}
    audit_as(
        access,
        action=Action.UPDATE if room_id else Action.CREATE,
        object_type="room",
        object_id=room.pk,
        changes={
            k: [before[k] if room_id else None, v]
            for k, v in after.items()
            if not room_id or before[k] != v
        },
    )
    return room


@transaction.atomic
def settings_save(*, access: ClinicAccess, session_minutes: int) -> ScheduleSettings:
    access.require(Permission.MANAGE_CLINIC_CALENDAR)
    if not 15 <= session_minutes <= MAX_SESSION_MINUTES:
        raise ValidationFailed.single(
            "session_minutes", f"Give between 15 and {MAX_SESSION_MINUTES} minutes."
        )
    found, _ = ScheduleSettings.objects.get_or_create(clinic=access.clinic)
    before = found.session_minutes
    found.session_minutes = session_minutes
    found.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="schedulesettings",
        object_id=access.clinic.pk,
        changes={"session_minutes": [before, session_minutes]},
    )
    return found


# --- placing a session -----------------------------------------------------------------


def _staff(access: ClinicAccess, staff_id: int | None) -> User | None:
    """A clinician of this clinic (the membership row locked, so two bookings of one person
    at once are serialised), or None."""
    if staff_id is None:
        return None
    membership = (
        Membership.objects.select_for_update()
        .filter(clinic=access.clinic, user_id=staff_id, is_active=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None or not can(membership.role, Permission.VIEW_CHART):
        raise ValidationFailed.single("staff", "Choose a clinician of this clinic.")
    return membership.user


def _room(access: ClinicAccess, room_id: uuid.UUID | None) -> Room | None:
    if room_id is None:
        return None
    try:
        room = Room.objects.select_for_update().filter(clinic=access.clinic, pk=room_id).first()
    except (ValueError, TypeError):
        room = None
    if room is None or not room.active:
        raise ValidationFailed.single("room", "Choose a room or chair in use at this clinic.")
    return room


def check_place(access: ClinicAccess, session: TreatmentSession, place: SessionPlace) -> None:
    """Refuse, with each reason, a place that shares a room or a staff member with another
    session at the same time (ketacare.schedule.core.conflicts)."""
    slot = selectors.slot_of(session, place, place.minutes)
    others = selectors.slots_near(access.clinic, slot.start, slot.end)
    names_room = {
        str(r.pk): r.name for r in selectors.rooms_of(access.clinic, include_inactive=True)
    }
    names_staff = {place.staff_id: str(place.staff)} if place.staff_id else {}
    found = core.conflicts(
        slot,
        others,
        room_names=names_room,
        staff_names=names_staff,
        zone=zoneinfo.ZoneInfo(access.clinic.time_zone),
    )
    if found:
        errors: dict[str, list[str]] = {}
        for conflict in found:
            errors.setdefault(conflict.field, []).append(conflict.reason)
        raise ValidationFailed(errors)


def _place(
    access: ClinicAccess,
    session: TreatmentSession,
    *,
    room_id: uuid.UUID | None,
    staff_id: int | None,
    minutes: int | None,
) -> SessionPlace:
    if minutes is not None and not 15 <= minutes <= MAX_SESSION_MINUTES:
        raise ValidationFailed.single(
            "minutes", f"Give between 15 and {MAX_SESSION_MINUTES} minutes."
        )
    room, staff = _room(access, room_id), _staff(access, staff_id)
    place = SessionPlace.objects.filter(session=session).first() or SessionPlace(
        clinic=access.clinic, session=session, minutes=selectors.session_minutes(access.clinic)
    )
    before = {"room": place.room_id, "staff": place.staff_id, "minutes": place.minutes}
    place.room, place.staff = room, staff
    if minutes is not None:
        place.minutes = minutes
    if session.status in core.HOLDING_STATES:
        check_place(access, session, place)
    place.save()
    after = {"room": place.room_id, "staff": place.staff_id, "minutes": place.minutes}
    treatment.audit_session(
        access,
        session,
        object_type="sessionplace",
        object_id=place.pk,
        changes={k: [before[k], v] for k, v in after.items() if before[k] != v},
    )
    return place


@transaction.atomic
def session_place(
    *,
    access: ClinicAccess,
    session_id: uuid.UUID,
    room_id: uuid.UUID | None,
    staff_id: int | None = None,
    minutes: int | None = None,
) -> SessionPlace:
    """Put a session in a room or chair, with the staff member who sits with the patient."""
    access.require(Permission.SCHEDULE_SESSIONS)
    session = selectors.schedule_session(access, session_id)
    if session.status not in core.HOLDING_STATES:
        raise ValidationFailed.single(
            "status", f"The session is {session.get_status_display().lower()}: it holds no place."
        )
    return _place(access, session, room_id=room_id, staff_id=staff_id, minutes=minutes)


@transaction.atomic
def session_book(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    scheduled_start: dt.datetime,
    room_id: uuid.UUID | None = None,
    staff_id: int | None = None,
    minutes: int | None = None,
    reason: str = "",
) -> TreatmentSession:
    """Book a session (ketacare.treatment.services.session_schedule) into a room or chair."""
    session = treatment.session_schedule(
        access=access, patient_id=patient_id, scheduled_start=scheduled_start, reason=reason
    )
    _place(access, session, room_id=room_id, staff_id=staff_id, minutes=minutes)
    return session


# --- the front desk's lifecycle actions ------------------------------------------------


@transaction.atomic
def session_check_in(*, access: ClinicAccess, session_id: uuid.UUID) -> TreatmentSession:
    session = selectors.schedule_session(access, session_id)
    return treatment.session_transition(
        access=access, patient_id=session.patient_id, session_id=session.pk, event=Event.CHECK_IN
    )


@transaction.atomic
def session_move(
    *,
    access: ClinicAccess,
    session_id: uuid.UUID,
    scheduled_start: dt.datetime,
    override_reason: str = "",
) -> TreatmentSession:
    """Move a booked session (ketacare.dosing.services.session_reschedule: the clinic's
    calendar and, for a plan's session, the protocol's spacing), then check its room and
    staff at the new time."""
    session = selectors.schedule_session(access, session_id)
    moved = dosing.session_reschedule(
        access=access,
        patient_id=session.patient_id,
        session_id=session.pk,
        scheduled_start=scheduled_start,
        override_reason=override_reason,
    )
    place = selectors.place_of(moved)
    if place is not None:
        try:
            check_place(access, moved, place)
        except ValidationFailed as exc:
            raise ValidationFailed(
                {"scheduled_start": [m for msgs in exc.errors.values() for m in msgs]}
            ) from exc
    return moved


@transaction.atomic
def session_no_show(
    *, access: ClinicAccess, session_id: uuid.UUID, reason: str = ""
) -> TreatmentSession:
    session = selectors.schedule_session(access, session_id)
    return treatment.session_cancel(
        access=access,
        patient_id=session.patient_id,
        session_id=session.pk,
        reason=reason.strip() or "Did not attend",
        no_show=True,
    )


@transaction.atomic
def session_cancel(*, access: ClinicAccess, session_id: uuid.UUID, reason: str) -> TreatmentSession:
    session = selectors.schedule_session(access, session_id)
    return treatment.session_cancel(
        access=access, patient_id=session.patient_id, session_id=session.pk, reason=reason
    )


# --- the staff calendar feed -----------------------------------------------------------


@transaction.atomic
def feed_token_reset(*, access: ClinicAccess) -> str:
    """A new secret feed address for the caller in this clinic; the old one stops working.
    Answers the token, shown once."""
    now = timezone.now()
    revoked = CalendarFeedToken.objects.filter(
        user=access.user, clinic=access.clinic, revoked_at__isnull=True
    ).update(revoked_at=now)
    parts = tokens.generate()
    token = CalendarFeedToken.objects.create(
        user=access.user,
        clinic=access.clinic,
        prefix=parts.prefix,
        secret_hash=tokens.hash_secret(parts.secret),
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="calendarfeedtoken",
        object_id=token.pk,
        details={"replaced": revoked},
    )
    return parts.raw


@transaction.atomic
def feed_token_revoke(*, access: ClinicAccess) -> int:
    revoked = CalendarFeedToken.objects.filter(
        user=access.user, clinic=access.clinic, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        audit_as(
            access,
            action=Action.REVOKE,
            object_type="calendarfeedtoken",
            details={"revoked": revoked},
        )
    return revoked


def feed_owner(raw: str) -> tuple[User, Clinic]:
    """Whose feed a raw token opens: an active token of an active member of an active
    clinic. Anything else is NotFound."""
    parts = tokens.parse(raw)
    if parts is None:
        raise NotFound("feed")
    token = (
        CalendarFeedToken.objects.filter(prefix=parts.prefix, revoked_at__isnull=True)
        .select_related("user", "clinic")
        .first()
    )
    if token is None or not tokens.matches(parts.secret, token.secret_hash):
        raise NotFound("feed")
    if not (
        token.user.is_active
        and token.clinic.is_active
        and Membership.objects.filter(user=token.user, clinic=token.clinic, is_active=True).exists()
    ):
        raise NotFound("feed")
    CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user, token.clinic


def feed_audit(user: User, clinic: Clinic, count: int) -> None:
    with transaction.atomic():
        audit_record(
            actor=user,
            clinic=clinic,
            action=Action.EXPORT,
            object_type="calendarfeed",
            details={"sessions": count},
        )
