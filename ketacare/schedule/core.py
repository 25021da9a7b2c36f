"""The clinic's day: pure rules for the schedule board. No Django.

- `BOARD_STATUS`: how each session state shows on the board (a colour tone and a label in
  words, so the state never rests on colour alone).
- `conflicts`: a booking that would share a room or chair, or the staff member sitting with
  the patient, with another session at the same time is refused, each reason in words.
- `initials`: what the staff calendar feed says of a patient (never the name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The lifecycle's states (ketacare.treatment.lifecycle.State values) as the board shows
# them: (tone, label). The tone names a colour in the stylesheet; the label is always shown.
BOARD_STATUS: Mapping[str, tuple[str, str]] = {
    "scheduled": ("booked", "Booked"),
    "checked_in": ("checked-in", "Checked in"),
    "pre_dose": ("checked-in", "Checked in: pre-dose assessment"),
    "dosing": ("dosing", "Dosing"),
    "monitoring": ("observation", "Observation"),
    "ready_for_discharge": ("ready", "Ready for discharge"),
    "discharged": ("ready", "Discharged: awaiting signature"),
    "signed": ("signed", "Signed"),
    "cancelled": ("cancelled", "Cancelled"),
    "no_show": ("no-show", "No-show"),
}

# States that hold a room and a person's time (cancelled and missed sessions free them).
HOLDING_STATES = frozenset(BOARD_STATUS) - {"cancelled", "no_show"}


def board_status(state: str) -> tuple[str, str]:
    """(tone, label) of a session state; an unknown state shows as itself."""
    return BOARD_STATUS.get(state, ("booked", state.replace("_", " ").capitalize()))


@dataclass(frozen=True)
class Slot:
    """A session's place in the day: when, where, and who sits with the patient."""

    key: str
    start: dt.datetime
    end: dt.datetime
    room: str | None = None  # a room or chair id; None: not yet placed
    staff: int | None = None  # the staff member assigned to the session

    def overlaps(self, other: Slot) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Conflict:
    field: str  # "room" or "staff": the form field to fix
    other: str  # the key of the session in the way
    reason: str


def _span(slot: Slot, zone: dt.tzinfo) -> str:
    """The slot's times on the clinic's clock (stored times are UTC)."""
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    text = f"{start:%H:%M}–{end:%H:%M}"
    return f"{start:%a %d %b} {text}" if end.date() != start.date() else text


def conflicts(
    candidate: Slot,
    others: Iterable[Slot],
    *,
    room_names: Mapping[str, str],
    staff_names: Mapping[int, str],
    zone: dt.tzinfo = dt.UTC,
) -> tuple[Conflict, ...]:
    """Every other slot that overlaps `candidate` in the same room or with the same staff
    member, as a reason naming the room or person and the time taken. Slots that only touch
    (one ends as the other starts) do not conflict; the candidate never conflicts with
    itself (same key). `others` should hold only sessions that still hold their place.
    The reasons give times on the clock of `zone` (the clinic's)."""
    found: list[Conflict] = []
    for other in sorted(others, key=lambda s: (s.start, s.key)):
        if other.key == candidate.key or not candidate.overlaps(other):
            continue
        if candidate.room is not None and other.room == candidate.room:
            name = room_names.get(candidate.room, "The room")
            found.append(
                Conflict("room", other.key, f"{name} is already booked {_span(other, zone)}.")
            )
        if candidate.staff is not None and other.staff == candidate.staff:
            name = staff_names.get(candidate.staff, "This staff member")
            found.append(
                Conflict("staff", other.key, f"{name} is already booked {_span(other, zone)}.")
            )
    return tuple(found)


def initials(given_name: str, family_name: str) -> str:
    """ "R.R." for Ravi Rossi; a missing part is left out."""
    return "".join(
        f"{part.strip()[0].upper()}." for part in (given_name, family_name) if part.strip()
    )


def week_of(day: dt.date) -> list[dt.date]:
    """The Monday-to-Sunday week holding `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=n) for n in range(7)]
