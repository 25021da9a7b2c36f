"""ketacare.measures.schedule: which invitations are due, as a pure function of the plan's
rules, the sessions, what was already issued and the time."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketacare.measures.schedule import (
    Invitation,
    Rule,
    ScheduleSettings,
    SessionTimes,
    candidates,
    due_invitations,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
H = dt.timedelta(hours=1)
SETTINGS = ScheduleSettings(
    starts_on=dt.date(2025, 3, 3),
    zone=LONDON,
    send_hour_local=9,
    pre_session_lead=24 * H,
    send_window=72 * H,
)


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=dt.UTC)


def due(
    rules: list[Rule],
    now: dt.datetime,
    sessions: tuple[SessionTimes, ...] = (),
    issued: frozenset[str] = frozenset(),
    config: ScheduleSettings = SETTINGS,
) -> list[Invitation]:
    return due_invitations(
        rules=rules, sessions=sessions, issued_keys=set(issued), now=now, settings=config
    )


WEEKLY = Rule(rule_id=1, kind="every_n_days", instruments=("phq9",), interval_days=7)


# --- every N days --------------------------------------------------------------------


def test_every_n_days_starts_on_the_first_day_at_the_send_hour() -> None:
    assert due([WEEKLY], utc(3, 8, 59)) == []
    (first,) = due([WEEKLY], utc(3, 9))
    assert first == Invitation(
        key="r1:every:0",
        instruments=("phq9",),
        due_at=utc(3, 9),
        context="between_sessions",
        reason="every 7 days from 2025-03-03",
    )
    assert first.session_id is None
    assert first.offset_hours is None


def test_every_n_days_is_due_within_the_send_window_only() -> None:
    assert [i.key for i in due([WEEKLY], utc(6, 8, 59))] == ["r1:every:0"]
    assert due([WEEKLY], utc(6, 9)) == []  # 72 hours late: its link would have expired
    assert due([WEEKLY], utc(10, 8, 59)) == []  # the next is not yet due
    assert [(i.key, i.due_at) for i in due([WEEKLY], utc(10, 9))] == [("r1:every:1", utc(10, 9))]


def test_every_n_days_offers_only_the_latest_occurrence() -> None:
    # A missed occurrence is superseded by the next, never queued up.
    assert [i.key for i in due([WEEKLY], utc(17, 10))] == ["r1:every:2"]


def test_every_n_days_is_nothing_before_the_plan_starts() -> None:
    assert due([WEEKLY], utc(2, 23, 59)) == []
    assert due([WEEKLY], utc(1, 9)) == []


def test_the_send_hour_is_local_time_across_daylight_saving() -> None:
    # London moves to BST (UTC+1) on 30 March 2025: 09:00 local is then 08:00 UTC.
    (march_31,) = due([WEEKLY], utc(31, 8))
    assert (march_31.key, march_31.due_at) == ("r1:every:4", utc(31, 8))
    in_new_york = ScheduleSettings(**{**SETTINGS.__dict__, "zone": NEW_YORK})
    assert due([WEEKLY], utc(3, 13, 59), config=in_new_york) == []
    assert [i.due_at for i in due([WEEKLY], utc(3, 14), config=in_new_york)] == [utc(3, 14)]


def test_the_local_day_decides_the_occurrence() -> None:
    # 23:30 UTC on 9 March is still 9 March in London: the next weekly one is the 10th.
    assert [i.key for i in due([WEEKLY], utc(9, 23, 30))] == []
    daily = Rule(rule_id=2, kind="every_n_days", instruments=("gad7",), interval_days=1)
    in_new_york = ScheduleSettings(**{**SETTINGS.__dict__, "zone": NEW_YORK})
    # 03:00 UTC on 5 March is 22:00 on 4 March in New York: the 4 March occurrence.
    assert [i.key for i in due([daily], utc(5, 3), config=in_new_york)] == ["r2:every:1"]


@pytest.mark.parametrize("interval", [None, 0])
def test_every_n_days_without_an_interval_is_nothing(interval: int | None) -> None:
    rule = Rule(rule_id=1, kind="every_n_days", instruments=("phq9",), interval_days=interval)
    assert due([rule], utc(20, 12)) == []


# --- sessions ------------------------------------------------------------------------

BEFORE = Rule(rule_id=2, kind="before_session", instruments=("phq9", "gad7"))
AFTER = Rule(rule_id=3, kind="after_session", instruments=("phq9",), hours_after=24)
BOOKED = SessionTimes(session_id="s1", scheduled_start=utc(5, 10), dosing_started_at=None)
GIVEN = SessionTimes(session_id="s1", scheduled_start=utc(5, 10), dosing_started_at=utc(5, 10, 20))


def test_before_session_is_due_the_lead_time_ahead() -> None:
    assert due([BEFORE], utc(4, 9, 59), (BOOKED,)) == []
    (pre,) = due([BEFORE], utc(4, 10), (BOOKED,))
    assert pre.key == "r2:pre:s1"
    assert pre.instruments == ("phq9", "gad7")
    assert (pre.due_at, pre.context, pre.session_id, pre.offset_hours) == (
        utc(4, 10),
        "pre_session",
        "s1",
        None,
    )


def test_before_session_stops_once_the_session_is_given() -> None:
    assert due([BEFORE], utc(4, 10), (GIVEN,)) == []


def test_after_session_counts_from_dosing() -> None:
    assert due([AFTER], utc(6, 10, 19), (GIVEN,)) == []
    (post,) = due([AFTER], utc(6, 10, 20), (GIVEN,))
    assert post.key == "r3:post24:s1"
    assert (post.due_at, post.context, post.session_id, post.offset_hours) == (
        utc(6, 10, 20),
        "post_session",
        "s1",
        24,
    )
    assert due([AFTER], utc(30, 10), (BOOKED,)) == []  # not given: nothing to count from


def test_after_session_at_zero_hours_is_due_at_dosing() -> None:
    at_once = Rule(rule_id=4, kind="after_session", instruments=("phq9",), hours_after=0)
    (post,) = due([at_once], utc(5, 10, 20), (GIVEN,))
    assert (post.key, post.offset_hours) == ("r4:post0:s1", 0)


def test_sessions_far_in_the_past_are_not_chased() -> None:
    assert due([AFTER], utc(9, 10, 20), (GIVEN,)) == []  # 72 hours after it was due


# --- named dates -------------------------------------------------------------------------


def test_named_dates_are_due_at_the_send_hour_of_each_date() -> None:
    rule = Rule(
        rule_id=5,
        kind="on_dates",
        instruments=("qids_sr16",),
        dates=(dt.date(2025, 3, 24), dt.date(2025, 4, 7)),
    )
    assert due([rule], utc(24, 8, 59)) == []
    (first,) = due([rule], utc(24, 9))
    assert (first.key, first.context, first.due_at) == (
        "r5:date:2025-03-24",
        "follow_up",
        utc(24, 9),
    )
    (second,) = due([rule], utc(7, 8, month=4))  # BST
    assert second.key == "r5:date:2025-04-07"


# --- issued keys and ordering ---------------------------------------------------------


def test_issued_invitations_are_not_offered_again() -> None:
    rules = [WEEKLY, BEFORE, AFTER]
    sessions = (BOOKED, SessionTimes("s0", utc(3, 10), utc(3, 10)))
    offered = due(rules, utc(4, 11), sessions)
    # Ordered by due time; the two due at 10:00 on the 4th by key.
    assert [(i.key, i.due_at) for i in offered] == [
        ("r1:every:0", utc(3, 9)),
        ("r2:pre:s1", utc(4, 10)),
        ("r3:post24:s0", utc(4, 10)),
    ]
    assert [i.due_at for i in offered] == sorted(i.due_at for i in offered)
    assert due(rules, utc(4, 11), sessions, issued=frozenset(i.key for i in offered)) == []
    assert [i.key for i in due(rules, utc(4, 11), sessions, issued=frozenset({"r2:pre:s1"}))] == [
        "r1:every:0",
        "r3:post24:s0",
    ]


def test_an_unknown_rule_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="fortnightly"):
        candidates(
            Rule(rule_id=9, kind="fortnightly", instruments=("phq9",)), (), utc(3, 9), SETTINGS
        )


# --- properties ----------------------------------------------------------------------------

ZONES = [LONDON, NEW_YORK, zoneinfo.ZoneInfo("Asia/Kolkata"), zoneinfo.ZoneInfo("UTC")]
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def moments(days: int = 120) -> st.SearchStrategy[dt.datetime]:
    return st.integers(0, days * 24 * 60).map(lambda m: START + dt.timedelta(minutes=m))


@st.composite
def rules(draw: st.DrawFn) -> list[Rule]:
    found = []
    for rule_id in range(draw(st.integers(0, 5))):
        kind = draw(
            st.sampled_from(["every_n_days", "before_session", "after_session", "on_dates"])
        )
        found.append(
            Rule(
                rule_id=rule_id,
                kind=kind,
                instruments=("phq9",),
                interval_days=draw(st.integers(1, 30)),
                hours_after=draw(st.integers(0, 72)),
                dates=tuple(draw(st.lists(moments().map(lambda m: m.date()), max_size=4))),
            )
        )
    return found


@st.composite
def sessions(draw: st.DrawFn) -> tuple[SessionTimes, ...]:
    found = []
    for number in range(draw(st.integers(0, 8))):
        start = draw(moments())
        late = draw(st.none() | st.integers(-30, 120))  # minutes; None: not given yet
        given_at = None if late is None else start + dt.timedelta(minutes=late)
        found.append(SessionTimes(f"s{number}", start, given_at))
    return tuple(found)


@st.composite
def schedule_settings(draw: st.DrawFn) -> ScheduleSettings:
    return ScheduleSettings(
        starts_on=draw(moments(60)).date(),
        zone=draw(st.sampled_from(ZONES)),
        send_hour_local=draw(st.integers(0, 23)),
        pre_session_lead=dt.timedelta(hours=draw(st.integers(0, 72))),
        send_window=dt.timedelta(hours=draw(st.integers(1, 168))),
    )


@settings(max_examples=300, deadline=None)
@given(
    rules=rules(),
    sessions=sessions(),
    now=moments(),
    config=schedule_settings(),
    issued_share=st.floats(0, 1),
)
def test_every_invitation_returned_is_due_unissued_and_within_the_window(
    rules: list[Rule],
    sessions: tuple[SessionTimes, ...],
    now: dt.datetime,
    config: ScheduleSettings,
    issued_share: float,
) -> None:
    everything = [i for rule in rules for i in candidates(rule, sessions, now, config)]
    keys = sorted({i.key for i in everything})
    issued = set(keys[: int(len(keys) * issued_share)])

    offered = due_invitations(
        rules=rules, sessions=sessions, issued_keys=issued, now=now, settings=config
    )

    for invitation in offered:
        assert invitation.due_at <= now < invitation.due_at + config.send_window
        assert invitation.key not in issued
        assert invitation in everything
        by_session = {s.session_id: s for s in sessions}
        if invitation.context == "pre_session":
            assert by_session[invitation.session_id or ""].dosing_started_at is None
        if invitation.context == "post_session":
            assert by_session[invitation.session_id or ""].dosing_started_at is not None
    assert len({i.key for i in offered}) == len(offered)
    assert [i.due_at for i in offered] == sorted(i.due_at for i in offered)
    # Nothing due is left out.
    assert {i.key for i in offered} == {
        i.key
        for i in everything
        if i.key not in issued and i.due_at <= now < i.due_at + config.send_window
    }
    # Issuing what was offered leaves nothing more to offer: the schedule is idempotent.
    again = due_invitations(
        rules=rules,
        sessions=sessions,
        issued_keys=issued | {i.key for i in offered},
        now=now,
        settings=config,
    )
    assert again == []


def test_a_date_named_twice_is_one_invitation() -> None:
    # Two invitations with one key would break the scheduler's unique slot per patient.
    day = dt.date(2025, 3, 24)
    rule = Rule(rule_id=5, kind="on_dates", instruments=("qids_sr16",), dates=(day, day))
    assert [i.key for i in due([rule], utc(24, 9))] == ["r5:date:2025-03-24"]
