"""The patient's score chart: on the instrument's whole range, bands behind, dates across."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from ketacare.portal.core import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, score_chart

DAY = dt.date(2026, 3, 2)
PHQ9_BANDS = [
    ("Minimal", 0, 4),
    ("Mild", 5, 9),
    ("Moderate", 10, 14),
    ("Moderately severe", 15, 19),
    ("Severe", 20, 27),
]


def test_no_scores_no_chart() -> None:
    assert score_chart([], low=0, high=27) is None


def test_scores_fall_as_the_line_goes_down_the_page_and_bands_tile_the_range() -> None:
    chart = score_chart(
        [(DAY, 20), (DAY + dt.timedelta(days=14), 8)], low=0, high=27, bands=PHQ9_BANDS
    )
    assert chart is not None
    first, last = chart.points
    assert (first.x, last.x) == (LEFT, WIDTH - RIGHT)  # first and last day at the edges
    assert first.y < last.y  # 20 drawn higher than 8 (SVG y grows downwards)
    bands = sorted(chart.bands, key=lambda b: b.y)
    assert bands[0].label == "Severe" and bands[-1].label == "Minimal"
    # The bands cover the plot from top to bottom without gaps.
    assert (
        abs(bands[0].y - TOP) < 1e-6
        and abs(bands[-1].y + bands[-1].height - (HEIGHT - BOTTOM)) < 1e-6
    )
    for upper, lower in itertools.pairwise(bands):
        assert abs(upper.y + upper.height - lower.y) < 1e-6


def test_one_score_sits_in_the_middle() -> None:
    chart = score_chart([(DAY, 12)], low=0, high=27)
    assert chart is not None and chart.points[0].x == LEFT + (WIDTH - LEFT - RIGHT) / 2


@given(
    st.lists(
        st.tuples(st.integers(0, 120), st.integers(-5, 40)),
        min_size=1,
        max_size=30,
        unique_by=lambda t: t[0],
    )
)
def test_every_point_is_inside_the_plot_whatever_the_scores(
    days_and_totals: list[tuple[int, int]],
) -> None:
    scores = [(DAY + dt.timedelta(days=d), t) for d, t in sorted(days_and_totals)]
    chart = score_chart(scores, low=0, high=27, bands=PHQ9_BANDS)
    assert chart is not None and len(chart.points) == len(scores)
    for point in chart.points:
        assert LEFT <= point.x <= WIDTH - RIGHT
        assert TOP <= point.y <= HEIGHT - BOTTOM
    assert [p.total for p in chart.points] == [t for _, t in scores]  # never drops a reading
