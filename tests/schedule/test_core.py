"""The schedule's pure rules: room and staff conflicts, the board's states, initials."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.schedule import core
from ketacare.treatment.lifecycle import State

T = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
ROOMS = {"c1": "Chair 1", "c2": "Chair 2"}
STAFF = {7: "Sam Lee", 8: "Ana Ruiz"}


def slot(
    key: str, start_min: int, minutes: int, room: str | None = "c1", staff: int | None = None
) -> core.Slot:
    start = T + dt.timedelta(minutes=start_min)
    return core.Slot(key, start, start + dt.timedelta(minutes=minutes), room, staff)


def reasons(candidate: core.Slot, *others: core.Slot) -> list[tuple[str, str]]:
    found = core.conflicts(candidate, others, room_names=ROOMS, staff_names=STAFF)
    return [(c.field, c.reason) for c in found]


def test_the_same_chair_at_an_overlapping_time_is_refused_naming_the_chair_and_time() -> None:
    booked = slot("a", 0, 150)  # 09:00–11:30
    assert reasons(slot("b", 60, 150), booked) == [
        ("room", "Chair 1 is already booked 09:00–11:30.")
    ]


def test_back_to_back_sessions_and_other_chairs_do_not_conflict() -> None:
    booked = slot("a", 0, 150)
    assert reasons(slot("b", 150, 60), booked) == []  # starts as the other ends
    assert reasons(slot("b", 30, 60, room="c2"), booked) == []
    assert reasons(slot("b", 30, 60, room=None), booked) == []  # not placed yet


def test_the_same_staff_member_in_two_rooms_at_once_is_refused() -> None:
    booked = slot("a", 0, 120, room="c1", staff=7)
    assert reasons(slot("b", 90, 60, room="c2", staff=7), booked) == [
        ("staff", "Sam Lee is already booked 09:00–11:00.")
    ]
    # Both at once: one reason each.
    assert [f for f, _ in reasons(slot("b", 90, 60, room="c1", staff=7), booked)] == [
        "room",
        "staff",
    ]


def test_a_session_never_conflicts_with_itself() -> None:
    booked = slot("a", 0, 120, staff=7)
    assert reasons(slot("a", 30, 120, staff=7), booked) == []


def test_a_slot_across_midnight_names_its_day() -> None:
    late = slot("a", 14 * 60, 12 * 60)  # 23:00 to 11:00 next day
    assert reasons(slot("b", 15 * 60, 60), late) == [
        ("room", "Chair 1 is already booked Mon 02 Mar 23:00–11:00.")
    ]


def test_every_state_of_the_lifecycle_has_a_board_label_in_words() -> None:
    for state in State:
        tone, label = core.board_status(state.value)
        assert tone and label and "_" not in label
    assert core.board_status("scheduled") == ("booked", "Booked")
    assert core.board_status("monitoring") == ("observation", "Observation")
    assert core.board_status("no_show") == ("no-show", "No-show")
    assert frozenset(s.value for s in State) - {"cancelled", "no_show"} == core.HOLDING_STATES


def test_initials_and_weeks() -> None:
    assert core.initials("Ravi", "Rossi") == "R.R."
    assert core.initials(" ana ", "") == "A."
    week = core.week_of(dt.date(2026, 3, 5))
    assert week[0] == dt.date(2026, 3, 2) and week[-1] == dt.date(2026, 3, 8)


slots = st.builds(
    slot,
    key=st.sampled_from(["a", "b", "c", "d", "e"]),
    start_min=st.integers(0, 24 * 60),
    minutes=st.integers(15, 300),
    room=st.sampled_from(["c1", "c2", None]),
    staff=st.sampled_from([7, 8, None]),
)


@given(candidate=slots, others=st.lists(slots, max_size=8))
def test_conflicts_are_exactly_the_overlaps_that_share_a_room_or_a_person(
    candidate: core.Slot, others: list[core.Slot]
) -> None:
    """The rule that keeps two patients out of one chair: no overlap sharing a room or a
    staff member is ever let through, and nothing else is refused."""
    found = core.conflicts(candidate, others, room_names=ROOMS, staff_names=STAFF)
    expected = {
        (o.key, field)
        for o in others
        if o.key != candidate.key and o.start < candidate.end and candidate.start < o.end
        for field, mine, theirs in (
            ("room", candidate.room, o.room),
            ("staff", candidate.staff, o.staff),
        )
        if mine is not None and mine == theirs
    }
    assert {(c.other, c.field) for c in found} == expected
    assert all(c.reason.endswith(".") for c in found)


@given(a=slots, b=slots)
def test_overlap_is_symmetric(a: core.Slot, b: core.Slot) -> None:
    assert a.overlaps(b) == b.overlaps(a)
