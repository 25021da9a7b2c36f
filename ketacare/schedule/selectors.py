"""Reads for the schedule board and the staff calendar feed, always within the caller's
clinic."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Permission, can
from ketacare.common.errors import NotFound
from ketacare.schedule import core
from ketacare.schedule.models import DEFAULT_SESSION_MINUTES, Room, ScheduleSettings, SessionPlace
from ketacare.treatment.models import TreatmentSession


def session_minutes(clinic: Clinic) -> int:
    found = ScheduleSettings.objects.filter(clinic=clinic).first()
    return found.session_minutes if found else DEFAULT_SESSION_MINUTES


def rooms_of(clinic: Clinic, *, include_inactive: bool = False) -> list[Room]:
    rooms = Room.objects.filter(clinic=clinic)
    if not include_inactive:
        rooms = rooms.filter(active=True)
    return list(rooms)


def room_get(access: ClinicAccess, room_id: uuid.UUID | str) -> Room:
    try:
        found = Room.objects.filter(clinic=access.clinic, pk=room_id).first()
    except (ValueError, TypeError) as exc:
        raise NotFound("room") from exc
    if found is None:
        raise NotFound("room")
    return found


def schedule_session(access: ClinicAccess, session_id: uuid.UUID | str) -> TreatmentSession:
    """A session of the caller's clinic by id alone; another clinic's answers NotFound."""
    try:
        found = (
            TreatmentSession.objects.select_related("patient", "plan")
            .filter(clinic=access.clinic, pk=session_id)
            .first()
        )
    except (ValueError, TypeError) as exc:
        raise NotFound("session") from exc
    if found is None:
        raise NotFound("session")
    return found


def place_of(session: TreatmentSession) -> SessionPlace | None:
    return SessionPlace.objects.filter(session=session).select_related("room", "staff").first()


def slot_of(session: TreatmentSession, place: SessionPlace | None, minutes: int) -> core.Slot:
    length = place.minutes if place else minutes
    return core.Slot(
        key=str(session.pk),
        start=session.scheduled_start,
        end=session.scheduled_start + dt.timedelta(minutes=length),
        room=str(place.room_id) if place and place.room_id else None,
        staff=place.staff_id if place else None,
    )


def slots_near(clinic: Clinic, start: dt.datetime, end: dt.datetime) -> list[core.Slot]:
    """The placed sessions that still hold their room and staff and may overlap
    [start, end) (sessions start at most a day before)."""
    places = SessionPlace.objects.filter(
        clinic=clinic,
        session__status__in=core.HOLDING_STATES,
        session__scheduled_start__lt=end,
        session__scheduled_start__gte=start - dt.timedelta(days=1),
    ).select_related("session")
    return [slot_of(p.session, p, p.minutes) for p in places]


def staff_choices(clinic: Clinic) -> list[User]:
    """Who can sit with a patient: active members whose role reads the chart."""
    members = Membership.objects.filter(
        clinic=clinic, is_active=True, user__is_active=True
    ).select_related("user")
    return sorted(
        (m.user for m in members if can(m.role, Permission.VIEW_CHART)), key=lambda u: str(u)
    )


# --- the board -------------------------------------------------------------------------


@dataclass
class Card:
    session: TreatmentSession
    place: SessionPlace | None
    start: dt.datetime  # in the clinic's zone
    end: dt.datetime
    tone: str
    label: str
    url: str = ""

    @property
    def patient_name(self) -> str:
        return self.session.patient.display_name


@dataclass
class Column:
    room: Room | None  # None: sessions not yet placed in a room or chair
    cards: dict[dt.date, list[Card]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.room.name if self.room else "Not placed"

    by_day: list[list[Card]] = field(default_factory=list)  # aligned with Board.days


@dataclass
class Board:
    days: list[dt.date]
    columns: list[Column]
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(c.cards for c in self.columns)


def require_board(access: ClinicAccess) -> None:
    """The board is for those who book sessions (front desk, administrators) and those who
    read the chart (the care team); others are refused."""
    if not access.can(Permission.VIEW_CHART):
        access.require(Permission.SCHEDULE_SESSIONS)


def board(access: ClinicAccess, days: list[dt.date]) -> Board:
    """Sessions on `days` (the clinic's dates) by room or chair, each with its board tone
    and label; a column for sessions not yet placed when there are any."""
    require_board(access)
    zone = zoneinfo.ZoneInfo(access.clinic.time_zone)
    first = dt.datetime.combine(days[0], dt.time(0), tzinfo=zone)
    last = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    sessions = list(
        TreatmentSession.objects.filter(
            clinic=access.clinic, scheduled_start__gte=first, scheduled_start__lt=last
        )
        .select_related("patient")
        .order_by("scheduled_start")
    )
    places = {
        p.session_id: p
        for p in SessionPlace.objects.filter(session__in=sessions).select_related("room", "staff")
    }
    minutes = session_minutes(access.clinic)
    rooms = rooms_of(access.clinic, include_inactive=True)
    columns = {r.pk: Column(r) for r in rooms if r.active}
    loose = Column(None)
    counts: dict[str, int] = {}
    for session in sessions:
        place = places.get(session.pk)
        slot = slot_of(session, place, minutes)
        tone, label = core.board_status(session.status)
        counts[label] = counts.get(label, 0) + 1
        card = Card(
            session, place, slot.start.astimezone(zone), slot.end.astimezone(zone), tone, label
        )
        column = loose
        if place and place.room_id:
            column = columns.setdefault(place.room_id, Column(place.room))
        column.cards.setdefault(card.start.date(), []).append(card)
    ordered = sorted(
        columns.values(), key=lambda c: (c.room.position, c.room.name) if c.room else (0, "")
    )
    if loose.cards or not ordered:
        ordered.append(loose)
    for column in ordered:
        column.by_day = [column.cards.get(d, []) for d in days]
    return Board(days=days, columns=ordered, counts=counts)


def feed_sessions(user: Any, clinic: Clinic, start: dt.datetime, end: dt.datetime) -> list[Any]:
    """A staff member's sessions in [start, end): placed with them, or supervised by them."""
    return list(
        TreatmentSession.objects.filter(
            Q(place__staff=user) | Q(supervising_prescriber=user),
            clinic=clinic,
            scheduled_start__gte=start,
            scheduled_start__lt=end,
        )
        .select_related("patient", "place__room")
        .order_by("scheduled_start")
    )
