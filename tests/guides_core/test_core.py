"""Pure rules of preparation and aftercare guides: which guide is due when, the texts."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.guides import core
from ketacare.guides.core import Family, Kind

SETTINGS = core.GuideSettings(
    preparation_hours_before=24, aftercare_hours_after=0, fasting_hours=2, arrive_minutes_before=15
)
START = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)


def facts(status: str = "scheduled", start: dt.datetime = START, discharged=None):
    return core.SessionFacts("s1", status, start, discharged)


def test_preparation_is_due_from_its_send_time_until_the_start() -> None:
    assert not core.is_due(facts(), Kind.PREPARATION, SETTINGS, START - dt.timedelta(hours=25))
    assert core.is_due(facts(), Kind.PREPARATION, SETTINGS, START - dt.timedelta(hours=24))
    assert core.is_due(facts(), Kind.PREPARATION, SETTINGS, START - dt.timedelta(minutes=1))
    assert not core.is_due(facts(), Kind.PREPARATION, SETTINGS, START)


def test_aftercare_is_due_after_discharge_for_a_day() -> None:
    out = START + dt.timedelta(hours=3)
    done = facts("discharged", discharged=out)
    assert not core.is_due(facts("monitoring"), Kind.AFTERCARE, SETTINGS, out)
    assert core.is_due(done, Kind.AFTERCARE, SETTINGS, out)
    assert core.is_due(done, Kind.AFTERCARE, SETTINGS, out + dt.timedelta(hours=23))
    assert not core.is_due(done, Kind.AFTERCARE, SETTINGS, out + dt.timedelta(hours=24))
    later = core.GuideSettings(24, 2, 2, 15)
    assert not core.is_due(done, Kind.AFTERCARE, later, out + dt.timedelta(hours=1))
    assert core.is_due(done, Kind.AFTERCARE, later, out + dt.timedelta(hours=2))


def test_a_rescheduled_session_has_a_new_preparation_key() -> None:
    moved = START + dt.timedelta(days=2)
    assert core.send_key("s1", Kind.PREPARATION, START) != core.send_key(
        "s1", Kind.PREPARATION, moved
    )
    assert core.send_key("s1", Kind.AFTERCARE, START) == core.send_key("s1", Kind.AFTERCARE, moved)


def test_esketamine_aftercare_always_says_no_driving_until_after_sleep() -> None:
    default = core.guide_text(Family.INTRANASAL, Kind.AFTERCARE, SETTINGS)
    assert core.DRIVING_SENTENCE in default
    edited = core.guide_text(
        Family.INTRANASAL, Kind.AFTERCARE, SETTINGS, "Rest at home. Call us on 555-0100."
    )
    assert edited.startswith("Rest at home.")
    assert edited.endswith(core.DRIVING_SENTENCE)
    assert "next day, after a restful sleep" in core.DRIVING_SENTENCE


def test_iv_aftercare_is_the_clinic_protocol_text() -> None:
    protocol = "Our IV protocol: rest for the day; no driving for 24 hours."
    assert core.guide_text(Family.IV, Kind.AFTERCARE, SETTINGS, protocol) == protocol


def test_the_settings_fill_the_default_preparation() -> None:
    text = core.guide_text(Family.INTRANASAL, Kind.PREPARATION, core.GuideSettings(24, 0, 3, 20))
    assert "Do not eat for 3 hours" in text and "Arrive 20 minutes" in text
    assert "{" not in text


def test_every_family_and_kind_has_a_default_text() -> None:
    for family in Family:
        for kind in Kind:
            assert core.guide_text(family, kind, SETTINGS)
    assert core.family_of("sublingual") is Family.ORAL
    assert core.family_of("rectal") is None


STATUSES = st.sampled_from(
    ["scheduled", "checked_in", "monitoring", "discharged", "signed", "cancelled", "no_show"]
)


@st.composite
def session_facts(draw: st.DrawFn) -> core.SessionFacts:
    start = START + dt.timedelta(minutes=draw(st.integers(-5000, 5000)))
    out = draw(st.none() | st.integers(30, 600).map(lambda m: start + dt.timedelta(minutes=m)))
    return core.SessionFacts("s", draw(STATUSES), start, out)


@given(
    st.lists(session_facts(), max_size=8),
    st.lists(st.integers(-3000, 3000), min_size=1, max_size=12),
    st.integers(1, 72),
    st.integers(0, 6),
)
def test_never_two_sends_per_key_and_nothing_for_called_off_sessions(
    drawn: list[core.SessionFacts], minutes: list[int], before: int, after: int
) -> None:
    # Each session once, under its own id; the same session listed twice must not send twice.
    sessions = [
        core.SessionFacts(f"s{i}", f.status, f.scheduled_start, f.discharged_at)
        for i, f in enumerate(drawn)
    ]
    sessions += sessions[:2]
    settings = core.GuideSettings(before, after, 2, 15)
    sent: list[str] = []
    for offset in sorted(minutes):  # the worker's ticks, in order
        now = START + dt.timedelta(minutes=offset)
        for due in core.due_sends(sessions, settings, now, set(sent)):
            sent.append(due.key)
            session = next(s for s in sessions if s.session_id == due.session_id)
            assert session.status not in core.CALLED_OFF
    assert len(sent) == len(set(sent))
    per_session_kind = [k.split(":")[:2] for k in sent]
    # Without a reschedule (fixed start times here), one send per session and kind.
    assert len(per_session_kind) == len({tuple(p) for p in per_session_kind})
