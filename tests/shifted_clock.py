"""The dates CI's shifted-clock pass runs the suite at, and the one it picks for a commit.

Each date breaks naive date code in its own way: a weekend (the clinic calendar moves
bookings off closed days), the last day of a month, 29 February, 23:30 UTC on New Year's
Eve (already tomorrow in some zones, still today in others), and the moments daylight
saving time starts and ends in every time zone the demo clinics use (half an hour after
the change: a local hour that was skipped, or that happens twice).

    python -m tests.shifted_clock            # the date for the commit checked out (HEAD)
    python -m tests.shifted_clock --list     # every date, with why it is on the list

`make test-shifted` runs the non-browser suite under libfaketime at that date, and
`make test-shifted AT='2027-03-14 07:30:00'` at any other (UTC).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

# The demo clinics' zones (ketacare.demo.seed.CLINICS; tests/demo checks they agree). Kept
# here so that CI can pick a date before anything is installed.
DEMO_TIME_ZONES = ("Europe/London", "America/New_York")
# The year whose daylight-saving changes are tested: fixed, so a commit always gets the
# same date whatever the real one.
DST_YEAR = 2027


@dataclass(frozen=True)
class ShiftedDate:
    at: dt.datetime  # UTC
    why: str

    @property
    def faketime(self) -> str:
        """As faketime takes it (with TZ=UTC)."""
        return self.at.strftime("%Y-%m-%d %H:%M:%S")


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


FIXED = (
    ShiftedDate(_utc(2026, 12, 5, 10, 0), "a Saturday"),
    ShiftedDate(_utc(2026, 12, 6, 16, 0), "a Sunday"),
    ShiftedDate(_utc(2027, 4, 30, 23, 15), "the last day of a month (already 1 May in London)"),
    ShiftedDate(_utc(2028, 2, 29, 12, 0), "29 February"),
    ShiftedDate(_utc(2026, 12, 31, 23, 30), "31 December at 23:30 UTC"),
    ShiftedDate(_utc(2027, 7, 11, 23, 30), "a Sunday night in summer (already Monday in London)"),
    ShiftedDate(
        _utc(2027, 1, 13, 2, 45), "02:45 in winter (a session booked 3 hours ago, yesterday)"
    ),
    ShiftedDate(
        _utc(2027, 7, 12, 0, 10), "00:10 UTC on a summer Monday (still Sunday in New York)"
    ),
)


def offset_changes(zone_name: str, year: int) -> list[dt.datetime]:
    """The instants (UTC, to the hour) at which the zone's UTC offset changes in `year`."""
    zone = zoneinfo.ZoneInfo(zone_name)
    hour = _utc(year, 1, 1, 0, 0)
    changes = []
    while hour.year == year:
        following = hour + dt.timedelta(hours=1)
        if hour.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            changes.append(following)
        hour = following
    return changes


def daylight_saving_dates(zones: Iterable[str], year: int) -> list[ShiftedDate]:
    dates = []
    for name in zones:
        zone = zoneinfo.ZoneInfo(name)
        for change in offset_changes(name, year):
            moment = change + dt.timedelta(minutes=30)
            starts = bool(moment.astimezone(zone).dst())
            local = moment.astimezone(zone).strftime("%H:%M %Z")
            what = "starts" if starts else "ends"
            dates.append(ShiftedDate(moment, f"{name}: daylight saving time {what} ({local})"))
    return dates


def all_dates() -> list[ShiftedDate]:
    return [*FIXED, *daylight_saving_dates(DEMO_TIME_ZONES, DST_YEAR)]


def date_for(commit: str) -> ShiftedDate:
    """The date for a commit (its hash, hex): different commits test different dates."""
    dates = all_dates()
    return dates[int(commit[:12], 16) % len(dates)]


def head_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"],  # noqa: S607 - git on PATH, fixed arguments
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def main(argv: list[str]) -> None:
    if argv[1:] == ["--list"]:
        for date in all_dates():
            print(f"{date.faketime}  {date.why}")
        return
    commit = argv[1] if len(argv) > 1 else head_commit()
    print(date_for(commit).faketime)


if __name__ == "__main__":
    main(sys.argv)
