"""How a discharge hold names missed readings: every one when few, the count and the
latest few when many (a session left open for days)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketacare.treatment.discharge import LISTED_OVERDUE, Holds, overdue_phrase


def test_a_few_missed_readings_are_each_named() -> None:
    assert overdue_phrase(("10:10",)) == "1 reading is overdue (due 10:10)"
    assert overdue_phrase(("10:10", "10:20")) == "2 readings are overdue (due 10:10, 10:20)"


def test_many_are_counted_and_the_latest_named() -> None:
    times = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 10, 20, 30, 40, 50))
    assert overdue_phrase(times * 10) == (
        "1,440 readings are overdue (the latest due 22:20, 22:30, 22:40, 22:50, 23:00, "
        "23:10, 23:20, 23:30, 23:40, 23:50)"
    )


@given(st.lists(st.sampled_from(["10:10", "10:20", "11:00"]), min_size=1, max_size=500))
def test_the_hold_always_gives_the_whole_count_and_at_most_the_listed_times(
    due: list[str],
) -> None:
    (reason,) = Holds(overdue=tuple(due)).reasons()
    assert reason.startswith(f"{len(due):,} reading")
    assert reason.count(":") - 1 <= LISTED_OVERDUE  # one colon ends the phrase
