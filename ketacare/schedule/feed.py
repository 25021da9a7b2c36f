"""A staff member's sessions as an iCalendar feed (RFC 5545, built with `icalendar`).

No patient's name goes in: only their initials, the room or chair and the session's state,
so a feed shown on a phone's lock screen or shared with a calendar service identifies no
one. No Django here: the view passes plain entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import Calendar, Event


@dataclass(frozen=True)
class FeedEntry:
    uid: str
    start: dt.datetime
    end: dt.datetime
    initials: str
    room: str
    status_label: str
    cancelled: bool = False


def summary(entry: FeedEntry) -> str:
    where = f" · {entry.room}" if entry.room else ""
    return f"Session {entry.initials or '—'}{where}"


def build(entries: Iterable[FeedEntry], *, clinic_name: str, stamp: dt.datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//KetaCare//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"KetaCare · {clinic_name}")
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@ketacare")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", summary(entry))
        if entry.room:
            event.add("location", entry.room)
        event.add("description", entry.status_label)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
