"""The clinic outcome dashboard: Kaplan-Meier numbers against lifelines fitted here on
durations known from the course design, rates with numerator, denominator and missing
data, researcher access, and a query count that does not grow with the patients."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from ketacare.common.errors import PermissionDenied
from ketacare.outcomes.charts import dashboard_tables, durability_landmarks
from ketacare.outcomes.dashboard import Filters, dashboard_open, kaplan_meier
from tests.measures.conftest import Team, register

from .conftest import at, write_course

# Every course: MADRS 30 the day before the first dose, sessions on days 0, 2 and 4, and
# response (MADRS 12) on day 1 at 10:00. A relapser scores 20 on day R and 22 on day
# R + 5 (two measurements no longer meeting response, 5 days apart): relapse onset day R,
# so response lasted R - 1 days. A censored course scores 10 on day L: L - 1 days.
RELAPSE_DAYS = [10, 18, 18, 25]
CENSORED_DAYS = [15, 30]
NOW = at(200)


def durations() -> tuple[list[float], list[bool]]:
    days = [r - 1.0 for r in RELAPSE_DAYS] + [c - 1.0 for c in CENSORED_DAYS]
    return days, [True] * len(RELAPSE_DAYS) + [False] * len(CENSORED_DAYS)


def populate(team: Team, copies: int, first: int = 0) -> None:
    for n in range(first, first + copies):
        for i, r in enumerate(RELAPSE_DAYS):
            patient = register(team.nurse, mrn=f"R{n}-{i}")
            write_course(
                team.prescriber, patient, [0, 2, 4], [(-1, 30), (1, 12), (r, 20), (r + 5, 22)]
            )
        for i, c in enumerate(CENSORED_DAYS):
            patient = register(team.nurse, mrn=f"C{n}-{i}")
            write_course(team.prescriber, patient, [0, 2, 4], [(-1, 30), (1, 12), (c, 10)])
    patient = register(team.nurse, mrn=f"M{first}")  # no baseline: response is missing
    write_course(team.prescriber, patient, [0, 2, 4], [(1, 12)])


def test_kaplan_meier_matches_lifelines(team: Team) -> None:
    populate(team, 1)
    board = dashboard_open(access=team.prescriber, filters=Filters(instrument="madrs"), now=NOW)
    days, events = durations()
    expected = KaplanMeierFitter().fit(days, event_observed=events)
    assert board.durability is not None
    assert [r.days for r in board.durability.rows] == list(expected.survival_function_.index)
    assert [r.survival for r in board.durability.rows] == pytest.approx(
        list(expected.survival_function_["KM_estimate"])
    )
    band = expected.confidence_interval_survival_function_
    assert [r.lower for r in board.durability.rows] == pytest.approx(list(band.iloc[:, 0]))
    assert [r.upper for r in board.durability.rows] == pytest.approx(list(band.iloc[:, 1]))
    assert board.durability.median_days == expected.median_survival_time_
    assert (board.durability.courses, board.durability.relapses) == (6, 4)


def test_the_pages_kaplan_meier_table_reads_the_curve_every_30_days(team: Team) -> None:
    """Durations 9, 17, 17 and 24 days ending in relapse, 14 and 29 censored: on day 0 all
    six are at risk; by day 30 every relapse and censoring has happened, and the share
    free of relapse is the curve's last step. The CSV keeps every step."""
    populate(team, 1)
    board = dashboard_open(access=team.prescriber, filters=Filters(instrument="madrs"), now=NOW)
    header, rows = durability_landmarks(board)
    assert header[:4] == ["days since response", "at risk", "relapses so far", "censored so far"]
    assert board.durability is not None
    last = board.durability.rows[-1]
    assert rows == [
        [0, 6, 0, 0, 1.0, 1.0, 1.0],
        [30, 0, 4, 2, round(last.survival, 4), round(last.lower, 4), round(last.upper, 4)],
    ]
    fifteen = durability_landmarks(board, every=15)[1]
    # Day 15: 9 relapsed and 14 censored; 17, 17, 24 and 29 still at risk.
    assert fifteen[1][:4] == [15, 4, 1, 1]
    assert fifteen[1][4] == pytest.approx(round(5 / 6, 4))
    assert len(dashboard_tables(board)["durability"][1]) == len(board.durability.rows)


def test_rates_keep_missing_data_apart(team: Team) -> None:
    populate(team, 1)
    board = dashboard_open(access=team.prescriber, filters=Filters(instrument="madrs"), now=NOW)
    assert (board.started, board.completed) == (7, 7)
    assert board.overall is not None
    response = board.overall.response
    # At day 28: relapsers on days 10 and 18 score 22 (no response); on day 25 their
    # latest is 20; censored courses keep response; the course without a baseline is missing.
    assert (response.met, response.denominator, response.missing) == (2, 6, 1)
    # Each responder responded 1 day and 1 hour after the first dose: counted in whole
    # days, the dashboard says 1 (data.whole_days).
    assert board.median_days_to_response == 1
    assert board.weeks[0].week == 0 and board.weeks[0].median == 30


def test_filters_narrow_the_courses(team: Team) -> None:
    populate(team, 1)
    later = Filters(instrument="madrs", date_from=(NOW + dt.timedelta(days=1)).date())
    assert dashboard_open(access=team.prescriber, filters=later, now=NOW).started == 0
    other = Filters(instrument="madrs", prescriber_id=team.nurse.user.pk)
    assert dashboard_open(access=team.prescriber, filters=other, now=NOW).started == 0


def test_researchers_see_aggregates_only(team: Team, settings: Any) -> None:
    settings.KETACARE_SMALL_CELL_MIN = 5  # 7 courses: shown; smaller cells are not
    populate(team, 1)
    everyone = Filters(instrument="madrs")
    board = dashboard_open(access=team.researcher, filters=everyone, now=NOW, individual_lines=True)
    assert board.started == 7 and board.lines == []
    mine = dashboard_open(access=team.prescriber, filters=everyone, now=NOW, individual_lines=True)
    assert len(mine.lines) == 6  # one per course with a baseline, no names
    with pytest.raises(PermissionDenied):
        dashboard_open(access=team.front_desk, filters=Filters(), now=NOW)


def test_researchers_see_no_cell_under_the_small_cell_limit(team: Team) -> None:
    """7 courses, 6 responders: under the default limit of 11, so a researcher sees
    "fewer than 11" and no figure worked out from them; a prescriber sees them all."""
    populate(team, 1)
    everyone = Filters(instrument="madrs")
    board = dashboard_open(access=team.researcher, filters=everyone, now=NOW)
    assert (board.started, board.completed, board.responders) == (None, None, None)
    assert board.fewer == "fewer than 11"
    assert board.overall is not None and board.overall.suppressed == "fewer than 11"
    assert board.overall.response.met == 0
    assert board.median_days_to_response is None and board.weeks == []
    assert board.durability is not None and board.durability.rows == []
    assert board.durability.median_days is None
    rates = dashboard_tables(board)["rates"][1]
    assert all(row[1:] == ["fewer than 11"] + [None] * (len(row) - 2) for row in rates)
    mine = dashboard_open(access=team.prescriber, filters=everyone, now=NOW)
    assert (mine.started, mine.responders) == (7, 6) and mine.overall
    assert not mine.overall.suppressed


def _queries(team: Team) -> int:
    with CaptureQueriesContext(connection) as ctx:
        dashboard_open(access=team.prescriber, filters=Filters(instrument="madrs"), now=NOW)
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_number_of_patients(team: Team) -> None:
    populate(team, 1)
    _queries(team)  # the first opening creates the clinic's settings row
    small = _queries(team)
    populate(team, 2, first=1)
    large = _queries(team)
    assert small == large, (small, large)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40).map(float), st.booleans()), min_size=1, max_size=30))
def test_kaplan_meier_of_counted_courses_is_that_of_listed_courses(
    courses: list[tuple[float, bool]],
) -> None:
    """The dashboard gets each (duration, relapsed) pair with how many courses had it; the
    curve, its band, the counts and the median must be those of the courses listed one by
    one."""
    listed = kaplan_meier([d for d, _ in courses], [e for _, e in courses])
    counted = sorted(Counter(courses).items())
    weighted = kaplan_meier(
        [d for (d, _), _ in counted], [e for (_, e), _ in counted], [n for _, n in counted]
    )
    assert (weighted.courses, weighted.relapses, weighted.median_days) == (
        listed.courses,
        listed.relapses,
        listed.median_days,
    )
    assert [(r.days, r.at_risk, r.events, r.censored) for r in weighted.rows] == [
        (r.days, r.at_risk, r.events, r.censored) for r in listed.rows
    ]
    for mine, theirs in zip(weighted.rows, listed.rows, strict=True):
        assert (mine.survival, mine.lower, mine.upper) == pytest.approx(
            (theirs.survival, theirs.lower, theirs.upper), nan_ok=True
        )
