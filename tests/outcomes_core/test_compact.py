"""The compact worklist's pure parts: due dates in words, the score trend, and rows
filtered and sorted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from ketacare.outcomes.compact import (
    HEADLINES,
    SORTS,
    UNASSIGNED,
    due_words,
    page_after,
    select_rows,
    sparkline,
)

TODAY = dt.date(2026, 3, 16)


@dataclass(frozen=True)
class Row:
    kind: str
    due: dt.date | None
    patient_name: str
    prescriber_id: int | None
    patient_id: str = ""


def test_due_dates_read_as_words() -> None:
    assert due_words(TODAY, TODAY) == "today"
    assert due_words(TODAY + dt.timedelta(days=1), TODAY) == "tomorrow"
    assert due_words(TODAY - dt.timedelta(days=1), TODAY) == "yesterday"
    assert due_words(TODAY + dt.timedelta(days=3), TODAY) == "in 3 days"
    assert due_words(TODAY - dt.timedelta(days=5), TODAY) == "5 days ago"
    assert due_words(None, TODAY) == ""


def test_a_trend_needs_two_scores_and_draws_higher_scores_higher() -> None:
    assert sparkline([]) is None and sparkline([12]) is None
    line = sparkline([20, 14, 8], width=80, height=20, pad=2)
    assert line is not None and (line.first, line.last) == (20, 8)
    points = [tuple(map(float, p.split(","))) for p in line.points.split()]
    assert points == [(2.0, 2.0), (40.0, 10.0), (78.0, 18.0)]  # y grows downwards in SVG


def test_a_flat_trend_is_a_line_not_a_division_by_zero() -> None:
    line = sparkline([9, 9, 9])
    assert line is not None and len({p.split(",")[1] for p in line.points.split()}) == 1


@given(st.lists(st.integers(0, 60), min_size=2, max_size=40))
def test_every_point_of_a_trend_lies_inside_its_box(values: list[int]) -> None:
    line = sparkline([float(v) for v in values], width=80, height=20)
    assert line is not None
    points = [tuple(map(float, p.split(","))) for p in line.points.split()]
    assert len(points) == len(values)
    assert all(0 <= x <= 80 and 0 <= y <= 20 for x, y in points)
    assert [x for x, _ in points] == sorted(x for x, _ in points)


ROWS = [
    Row("booster_due", TODAY + dt.timedelta(days=2), "Rossi, Ravi", 7, "p1"),
    Row("safety_alert", TODAY - dt.timedelta(days=1), "Zane, Ada", None, "p2"),
    Row("booster_due", TODAY, "Abbot, Bea", 8, "p3"),
    Row("plans_awaiting_prescriber", None, "Moss, Cy", 7, "p4"),
]


def names(rows: list[Row]) -> list[str]:
    return [row.patient_name for row in rows]


def test_urgency_puts_safety_alerts_first_then_the_earliest_due() -> None:
    assert names(select_rows(ROWS)) == ["Zane, Ada", "Abbot, Bea", "Rossi, Ravi", "Moss, Cy"]


def test_rows_sort_by_due_date_with_undated_rows_last_and_by_patient() -> None:
    assert names(select_rows(ROWS, sort="due")) == [
        "Zane, Ada",
        "Abbot, Bea",
        "Rossi, Ravi",
        "Moss, Cy",
    ]
    assert names(select_rows(ROWS, sort="patient")) == sorted(names(ROWS))


def test_rows_filter_by_kind_and_by_clinician() -> None:
    assert names(select_rows(ROWS, kind="booster_due")) == ["Abbot, Bea", "Rossi, Ravi"]
    assert names(select_rows(ROWS, prescriber_id=7)) == ["Rossi, Ravi", "Moss, Cy"]
    assert names(select_rows(ROWS, prescriber_id=UNASSIGNED)) == ["Zane, Ada"]
    assert select_rows(ROWS, kind="relapse") == []


row_strategy = st.builds(
    Row,
    kind=st.sampled_from(list(HEADLINES)),
    due=st.none() | st.dates(dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    patient_name=st.text(min_size=1, max_size=8),
    prescriber_id=st.none() | st.integers(1, 4),
)


@given(
    st.lists(row_strategy, max_size=30),
    st.sampled_from(["", *HEADLINES]),
    st.none() | st.integers(0, 4),
    st.sampled_from(["urgency", "due", "patient"]),
)
def test_filtering_and_sorting_never_drop_or_invent_a_row(
    rows: list[Row], kind: str, prescriber: int | None, sort: str
) -> None:
    shown = select_rows(rows, kind=kind, prescriber_id=prescriber, sort=sort)
    expected = [
        r
        for r in rows
        if (not kind or r.kind == kind)
        and (prescriber is None or (r.prescriber_id or UNASSIGNED) == prescriber)
    ]
    assert sorted(map(repr, shown)) == sorted(map(repr, expected))


def _walk(rows: list[Row], sort: str, size: int) -> list[Row]:
    """Every page in turn, each after the key of the page before."""
    ordered, walked, after = select_rows(rows, sort=sort), [], None
    while True:
        page = page_after(ordered, sort=sort, after=after, size=size)
        walked += page.rows
        if page.after is None:
            return walked
        after = page.after


row_strategy = st.builds(
    Row,
    kind=st.sampled_from(list(HEADLINES)),
    due=st.none() | st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    patient_name=st.sampled_from(["Abbot, Bea", "abbot, bea", "Moss, Cy", "Zane, Ada"]),
    prescriber_id=st.none() | st.integers(1, 3),
    patient_id=st.uuids().map(str),
)


@given(
    st.lists(row_strategy, max_size=40, unique_by=lambda r: (r.patient_id, r.kind)),
    st.sampled_from(list(SORTS)),
    st.integers(1, 7),
)
def test_pages_walk_every_row_once_in_order(rows: list[Row], sort: str, size: int) -> None:
    assert _walk(rows, sort, size) == select_rows(rows, sort=sort)


def test_a_row_done_between_pages_shifts_nothing() -> None:
    ordered = select_rows(ROWS)
    first = page_after(ordered, sort="urgency", after=None, size=2)
    assert names(first.rows) == ["Zane, Ada", "Abbot, Bea"]
    done = [row for row in ordered if row.patient_name != "Zane, Ada"]  # the alert handled
    second = page_after(done, sort="urgency", after=first.after, size=2)
    assert names(second.rows) == ["Rossi, Ravi", "Moss, Cy"] and second.after is None
