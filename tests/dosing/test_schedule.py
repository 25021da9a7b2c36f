"""Schedule generation: the esketamine TRD course, closures, spacing and capacity."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from ketacare.dosing.protocols import SHIPPED, adjusted
from ketacare.dosing.schedule import (
    ClinicCalendar,
    course_length,
    day_violations,
    first_open_day,
    futility_review_due,
    generate,
    integration_days,
    planned_doses,
)

ESK = SHIPPED["esketamine_trd"]
MONDAY = dt.date(2026, 1, 5)


def esketamine_course(start: dt.date, calendar: ClinicCalendar) -> list[dt.date]:
    schedule = generate(
        phases=ESK.schedules["label_then_every_2_weeks"],
        start=start,
        calendar=calendar,
        min_days_between=ESK.min_days_between_sessions,
    )
    return [s.day for s in schedule.sessions]


def per_week(days: list[dt.date], start: dt.date, weeks: range) -> list[int]:
    return [sum(1 for d in days if (d - start).days // 7 == w) for w in weeks]


def test_esketamine_trd_twice_weekly_then_weekly_skipping_a_closure() -> None:
    closed = {dt.date(2026, 1, 8): "Staff training"}  # the Thursday of week 1
    days = esketamine_course(MONDAY, ClinicCalendar(closures=closed))
    assert days[:4] == [MONDAY, dt.date(2026, 1, 9), dt.date(2026, 1, 12), dt.date(2026, 1, 15)]
    assert per_week(days, MONDAY, range(4)) == [2, 2, 2, 2]
    assert per_week(days, MONDAY, range(4, 8)) == [1, 1, 1, 1]
    assert per_week(days, MONDAY, range(8, 16)) == [1, 0] * 4  # every 2 weeks
    assert all(d.weekday() < 5 for d in days)
    assert dt.date(2026, 1, 8) not in days


def test_esketamine_doses_start_at_56_then_follow_the_plan() -> None:
    doses = planned_doses(ESK, 4, D("84"), None)
    assert doses == {1: D("56"), 2: D("84"), 3: D("84"), 4: D("84")}


def test_iv_titration_steps_to_its_ceiling() -> None:
    iv = SHIPPED["iv_ketamine"]
    assert list(planned_doses(iv, 8, D("0.1"), D("0.1")).values()) == [
        D("0.1"),
        D("0.2"),
        D("0.3"),
        D("0.4"),
        D("0.5"),
        D("0.6"),
        D("0.7"),
        D("0.75"),
    ]
    lower = adjusted(iv, {"titration_ceiling": "0.5"}, version=2)
    assert max(planned_doses(lower, 8, D("0.1"), D("0.1")).values()) == D("0.5")


def test_iv_induction_is_six_infusions_in_two_or_three_weeks() -> None:
    iv = SHIPPED["iv_ketamine"]
    assert course_length(iv.schedules["3_per_week"]) == 6
    assert course_length(iv.schedules["2_per_week"]) == 6
    days = [
        s.day
        for s in generate(
            phases=iv.schedules["3_per_week"],
            start=MONDAY,
            calendar=ClinicCalendar(),
            min_days_between=1,
        ).sessions
    ]
    assert [d.strftime("%a") for d in days] == ["Mon", "Wed", "Fri"] * 2


def test_a_period_with_no_open_day_is_reported_not_shifted() -> None:
    closed = {MONDAY + dt.timedelta(days=n): "Holiday" for n in range(7)}
    schedule = generate(
        phases=ESK.schedules["label_then_weekly"],
        start=MONDAY,
        calendar=ClinicCalendar(closures=closed),
        min_days_between=2,
    )
    assert len(schedule.unplaced) == 2
    assert all(u.period_start == MONDAY for u in schedule.unplaced)
    assert min(s.day for s in schedule.sessions) >= MONDAY + dt.timedelta(days=7)


def test_capacity_moves_a_session_to_a_day_with_a_free_chair() -> None:
    full = ClinicCalendar(daily_capacity=2, booked={MONDAY: 2})
    assert esketamine_course(MONDAY, full)[0] == MONDAY + dt.timedelta(days=1)


def test_violations_name_each_rule_with_its_reason() -> None:
    calendar = ClinicCalendar(
        closures={MONDAY: "Bank holiday"}, daily_capacity=1, booked={MONDAY: 1}
    )
    found = day_violations(
        MONDAY, calendar=calendar, other_days=[MONDAY - dt.timedelta(days=1)], min_days_between=2
    )
    assert [v.code for v in found] == ["closure", "capacity", "spacing"]
    assert "Bank holiday" in found[0].reason
    sunday = day_violations(MONDAY - dt.timedelta(days=1), calendar=ClinicCalendar())
    assert [v.code for v in sunday] == ["closed_weekday"]


def test_futility_review_and_integration_sessions() -> None:
    assert futility_review_due(infusions_given=3, responded=False, review_after=3)
    assert not futility_review_due(infusions_given=3, responded=True, review_after=3)
    assert not futility_review_due(infusions_given=2, responded=False, review_after=3)
    kap = SHIPPED["kap"]
    sessions = generate(
        phases=kap.schedules["weekly"],
        start=dt.date(2026, 1, 9),
        calendar=ClinicCalendar(),
        min_days_between=2,
    ).sessions
    # Friday dosing: integration on the next open day, Monday.
    assert integration_days(sessions[:1], ClinicCalendar()) == [dt.date(2026, 1, 12)]


@given(
    start=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31)),
    closed_offsets=st.sets(st.integers(min_value=0, max_value=120), max_size=12),
    open_days=st.sets(st.integers(min_value=0, max_value=6), min_size=3),
)
def test_esketamine_never_same_or_consecutive_days_and_never_on_a_closure(
    start: dt.date, closed_offsets: set[int], open_days: set[int]
) -> None:
    closures = {start + dt.timedelta(days=n): "Closed" for n in closed_offsets}
    calendar = ClinicCalendar(open_weekdays=frozenset(open_days), closures=closures)
    schedule = generate(
        phases=ESK.schedules["label_then_every_2_weeks"],
        start=start,
        calendar=calendar,
        min_days_between=2,
    )
    days = [s.day for s in schedule.sessions]
    assert days == sorted(days)
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(days))
    assert not set(days) & set(closures)
    assert all(d.weekday() in open_days for d in days)
    # Never more than the label's count in a week: 2 in weeks 1-4, 1 in weeks 5-8.
    assert all(n <= 2 for n in per_week(days, start, range(4)))
    assert all(n <= 1 for n in per_week(days, start, range(4, 8)))
    assert len(days) + len(schedule.unplaced) == 16


@given(start=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_with_no_closures_and_a_five_day_week_the_label_counts_hold(start: dt.date) -> None:
    days = esketamine_course(start, ClinicCalendar())
    assert per_week(days, start, range(4)) == [2, 2, 2, 2]
    assert per_week(days, start, range(4, 8)) == [1, 1, 1, 1]


def test_protocol_definitions_are_hashable_values() -> None:
    """Screening and caches may key on a definition: equal versions hash alike."""
    assert len({*SHIPPED.values(), *SHIPPED.values()}) == len(SHIPPED)
    assert hash(adjusted(ESK, {}, version=2)) == hash(adjusted(ESK, {}, version=2))


def test_the_first_open_day_skips_closed_weekdays_closures_and_full_days() -> None:
    saturday = MONDAY + dt.timedelta(days=5)
    assert first_open_day(ClinicCalendar(), MONDAY) == MONDAY
    assert first_open_day(ClinicCalendar(), saturday) == MONDAY + dt.timedelta(days=7)
    calendar = ClinicCalendar(
        closures={MONDAY + dt.timedelta(days=7): "Staff training"},
        daily_capacity=2,
        booked={MONDAY + dt.timedelta(days=8): 2},
    )
    assert first_open_day(calendar, saturday) == MONDAY + dt.timedelta(days=9)
    assert first_open_day(ClinicCalendar(open_weekdays=frozenset()), MONDAY) is None


@given(
    open_days=st.frozensets(st.integers(0, 6)),
    closed=st.sets(st.integers(0, 20), max_size=10),
    start=st.integers(0, 6),
)
def test_the_first_open_day_is_open_and_none_before_it_is(
    open_days: frozenset[int], closed: set[int], start: int
) -> None:
    calendar = ClinicCalendar(
        open_weekdays=open_days,
        closures={MONDAY + dt.timedelta(days=d): "Closed" for d in closed},
    )
    begin = MONDAY + dt.timedelta(days=start)
    found = first_open_day(calendar, begin, within_days=30)
    days = [begin + dt.timedelta(days=n) for n in range(30)]
    open_ones = [d for d in days if not day_violations(d, calendar=calendar)]
    assert found == (open_ones[0] if open_ones else None)
