"""The dates CI's shifted-clock pass draws from cover what the issue asks for."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from ketacare.demo.seed import CLINICS
from tests.shifted_clock import DEMO_TIME_ZONES, all_dates, date_for, offset_changes


def test_the_zones_are_the_demo_clinics_zones() -> None:
    assert set(DEMO_TIME_ZONES) == {spec.time_zone for spec in CLINICS}


def test_the_list_holds_each_kind_of_awkward_date() -> None:
    moments = [date.at for date in all_dates()]
    assert all(moment.tzinfo == dt.UTC for moment in moments)
    assert any(moment.weekday() == 5 for moment in moments)  # Saturday
    assert any(moment.weekday() == 6 for moment in moments)  # Sunday
    assert any((moment + dt.timedelta(days=1)).day == 1 for moment in moments)
    assert any((moment.month, moment.day) == (2, 29) for moment in moments)
    assert dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC) in moments


def test_daylight_saving_starts_and_ends_in_every_demo_zone() -> None:
    moments = [date.at for date in all_dates()]
    for name in DEMO_TIME_ZONES:
        zone = zoneinfo.ZoneInfo(name)
        starts, ends = offset_changes(name, 2027)
        assert starts.astimezone(zone).dst() and not ends.astimezone(zone).dst()
        for change in (starts, ends):
            assert change + dt.timedelta(minutes=30) in moments, (name, change)


def test_london_changes_at_one_in_the_morning_utc() -> None:
    assert offset_changes("Europe/London", 2027) == [
        dt.datetime(2027, 3, 28, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 10, 31, 1, 0, tzinfo=dt.UTC),
    ]


def test_a_commit_always_gets_the_same_date_and_commits_spread_over_the_list() -> None:
    commit = "4c07b69" + "0" * 33
    assert date_for(commit) == date_for(commit)
    picked = {date_for(f"{n:012x}" + "0" * 28) for n in range(len(all_dates()))}
    assert picked == set(all_dates())
