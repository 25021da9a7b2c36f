"""/api/v1/schedule: the board (a day or a week by room or chair) and the front desk's
actions, over the same services as the web pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.schedule import core, selectors, services
from ketacare.schedule.models import Room

router = Router(tags=["schedule"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class RoomOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    position: int
    active: bool


class BoardSessionOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    start: dt.datetime
    end: dt.datetime
    status: str
    state_label: str
    tone: str
    room_id: uuid.UUID | None
    room: str
    staff_id: int | None
    staff: str
    plan_id: uuid.UUID | None


class BoardOut(Schema):
    days: list[dt.date]
    rooms: list[RoomOut]
    sessions: list[BoardSessionOut]


class BoardQuery(Schema):
    day: dt.date | None = None
    view: Literal["day", "week"] = "day"


class ScheduleSessionOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    scheduled_start: dt.datetime
    status: str
    status_reason: str
    schedule_override_reason: str


class ScheduleBookIn(Strict):
    patient_id: uuid.UUID
    scheduled_start: dt.datetime
    room_id: uuid.UUID | None = None
    staff_id: int | None = None
    minutes: int | None = Field(None, ge=15, le=720)
    reason: str = Field("", max_length=300, description="Why, if outside the booking window")


class SchedulePlaceIn(Strict):
    room_id: uuid.UUID | None = None
    staff_id: int | None = None
    minutes: int | None = Field(None, ge=15, le=720)


class ScheduleMoveIn(Strict):
    scheduled_start: dt.datetime
    override_reason: str = Field(
        "", max_length=300, description="Proceed despite the rules the date breaks, with why"
    )


class ScheduleCancelIn(Strict):
    reason: str = Field(..., min_length=1, max_length=300)


class ScheduleNoShowIn(Strict):
    reason: str = Field("", max_length=300)


@router.get("/board", response=BoardOut, summary="Sessions of a day or week by room or chair")
def board(request: HttpRequest, query: Query[BoardQuery]) -> Any:
    access = access_of(request)
    day = query.day or access.clinic.today()
    days = core.week_of(day) if query.view == "week" else [day]
    found = selectors.board(access, days)
    sessions = []
    for column in found.columns:
        for cards in column.cards.values():
            for card in cards:
                place = card.place
                sessions.append(
                    {
                        "id": card.session.pk,
                        "patient_id": card.session.patient_id,
                        "patient_name": card.patient_name,
                        "start": card.start,
                        "end": card.end,
                        "status": card.session.status,
                        "state_label": card.label,
                        "tone": card.tone,
                        "room_id": place.room_id if place else None,
                        "room": place.room.name if place and place.room else "",
                        "staff_id": place.staff_id if place else None,
                        "staff": str(place.staff) if place and place.staff else "",
                        "plan_id": card.session.plan_id,
                    }
                )
    sessions.sort(key=lambda s: (s["start"], str(s["id"])))
    rooms: list[Room] = [c.room for c in found.columns if c.room is not None]
    return {"days": days, "rooms": rooms, "sessions": sessions}


@router.get("/rooms", response=list[RoomOut], summary="The clinic's rooms and chairs")
def rooms(request: HttpRequest) -> Any:
    access = access_of(request)
    selectors.require_board(access)
    return selectors.rooms_of(access.clinic, include_inactive=True)


@router.post("/sessions", response={201: ScheduleSessionOut}, summary="Book a session into a room")
def book(request: HttpRequest, payload: ScheduleBookIn) -> Any:
    return Status(201, services.session_book(access=access_of(request), **payload.dict()))


@router.post(
    "/sessions/{session_id}/place", response=ScheduleSessionOut, summary="Room, staff, length"
)
def place(request: HttpRequest, session_id: uuid.UUID, payload: SchedulePlaceIn) -> Any:
    found = services.session_place(
        access=access_of(request), session_id=session_id, **payload.dict()
    )
    return found.session


@router.post("/sessions/{session_id}/check-in", response=ScheduleSessionOut, summary="Check in")
def check_in(request: HttpRequest, session_id: uuid.UUID) -> Any:
    return services.session_check_in(access=access_of(request), session_id=session_id)


@router.post(
    "/sessions/{session_id}/move",
    response=ScheduleSessionOut,
    summary="Move; the calendar, the plan's spacing and the room are checked",
)
def move(request: HttpRequest, session_id: uuid.UUID, payload: ScheduleMoveIn) -> Any:
    return services.session_move(access=access_of(request), session_id=session_id, **payload.dict())


@router.post(
    "/sessions/{session_id}/no-show", response=ScheduleSessionOut, summary="Mark a no-show"
)
def no_show(request: HttpRequest, session_id: uuid.UUID, payload: ScheduleNoShowIn) -> Any:
    return services.session_no_show(
        access=access_of(request), session_id=session_id, reason=payload.reason
    )


@router.post(
    "/sessions/{session_id}/cancel", response=ScheduleSessionOut, summary="Cancel with a reason"
)
def cancel(request: HttpRequest, session_id: uuid.UUID, payload: ScheduleCancelIn) -> Any:
    return services.session_cancel(
        access=access_of(request), session_id=session_id, reason=payload.reason
    )
