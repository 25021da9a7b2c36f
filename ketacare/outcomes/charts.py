"""What the outcome pages draw: each verdict with the scores it rests on, Plotly figures
(plain JSON, drawn by the locally served Plotly) and, for every chart, the same numbers
as a table that the page shows and offers as CSV."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .course import CourseOutcome, Status
from .dashboard import GroupRow, OutcomeDashboard
from .data import ScorePoint

LINE = "#1f5f8b"
BAND = "rgba(31, 95, 139, 0.2)"
STATUS_WORDS = {
    Status.MET: "Yes",
    Status.NOT_MET: "No",
    Status.MISSING: "Missing data",
    Status.NOT_APPLICABLE: "Not applicable",
}


@dataclass(frozen=True)
class VerdictRow:
    label: str
    status: str
    words: str
    reason: str
    evidence: list[ScorePoint]


@dataclass(frozen=True)
class OutcomePanel:
    instrument: str
    rows: list[VerdictRow]


VERDICTS = (
    ("baseline", "Baseline"),
    ("change", "Change from baseline"),
    ("response", "Response"),
    ("remission", "Remission"),
    ("rapid_response_24h", "Rapid response (24 h)"),
    ("rapid_response_4h", "Rapid response (4 h)"),
    ("sustained_response", "Sustained response"),
    ("relapse", "Relapse"),
    ("time_to_response", "Time to response"),
    ("duration_of_response", "Duration of response"),
    ("futility", "Futility review"),
)


def outcome_panel(outcome: CourseOutcome, scores: Mapping[str, ScorePoint]) -> OutcomePanel:
    rows = []
    for attr, label in VERDICTS:
        verdict = getattr(outcome, attr)
        rows.append(
            VerdictRow(
                label,
                verdict.status.value,
                STATUS_WORDS[verdict.status],
                verdict.reason,
                [scores[str(i)] for i in verdict.score_ids if str(i) in scores],
            )
        )
    return OutcomePanel(outcome.instrument, rows)


# --- dashboard tables (also the CSV downloads) ------------------------------------------

Table = tuple[list[str], list[list[Any]]]
RATE_HEADER = [
    "group",
    "courses",
    "response met",
    "response denominator",
    "response %",
    "response missing",
    "remission met",
    "remission denominator",
    "remission %",
    "remission missing",
]


def _rate_row(row: GroupRow) -> list[Any]:
    if row.suppressed:
        return [row.group, row.suppressed, *[None] * (len(RATE_HEADER) - 2)]
    r, m = row.response, row.remission
    return [
        row.group,
        row.courses,
        r.met,
        r.denominator,
        r.percent,
        r.missing + r.not_applicable,
        m.met,
        m.denominator,
        m.percent,
        m.missing + m.not_applicable,
    ]


def dashboard_tables(board: OutcomeDashboard) -> dict[str, Table]:
    km = board.durability.rows if board.durability else []
    return {
        "rates": (
            RATE_HEADER,
            [_rate_row(r) for r in ([board.overall] if board.overall else [])]
            + [_rate_row(r) for r in board.by_period]
            + [_rate_row(r) for r in board.by_prescriber]
            + [_rate_row(r) for r in board.by_protocol]
            + [_rate_row(r) for r in board.by_route],
        ),
        "durability": (
            [
                "days since response",
                "at risk",
                "relapses",
                "censored",
                "free of relapse",
                "95% CI lower",
                "95% CI upper",
            ],
            [
                [
                    r.days,
                    r.at_risk,
                    r.events,
                    r.censored,
                    round(r.survival, 4),
                    round(r.lower, 4),
                    round(r.upper, 4),
                ]
                for r in km
            ],
        ),
        "trajectory": (
            ["week", "courses", "median", "lower quartile", "upper quartile"],
            [[w.week, w.patients, w.median, w.q1, w.q3] for w in board.weeks],
        ),
    }


# The page's Kaplan-Meier table gives the curve every this many days: a clinic's curve
# has a step per distinct duration (thousands at scale); the CSV keeps every step.
LANDMARK_DAYS = 30


def durability_landmarks(board: OutcomeDashboard, every: int = LANDMARK_DAYS) -> Table:
    """The Kaplan-Meier curve read every `every` days since response, from day 0 to the
    last duration: responders still at risk on that day, relapses and censorings up to
    it, and the share free of relapse with its band (the step in force on that day)."""
    rows = board.durability.rows if board.durability else []
    header = [
        "days since response",
        "at risk",
        "relapses so far",
        "censored so far",
        "free of relapse",
        "95% CI lower",
        "95% CI upper",
    ]
    if not rows:
        return header, []
    table, relapses, censored, index = [], 0, 0, 0
    for day in range(0, int(rows[-1].days) + every, every):
        while index < len(rows) and rows[index].days <= day:
            relapses, censored = relapses + rows[index].events, censored + rows[index].censored
            index += 1
        at_risk = next((r.at_risk for r in rows if r.days >= day), 0)
        step = rows[index - 1] if index else None
        survival = (step.survival, step.lower, step.upper) if step else (1.0, 1.0, 1.0)
        table.append([day, at_risk, relapses, censored, *(round(v, 4) for v in survival)])
    return header, table


def _layout(x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    return {
        "height": 340,
        "margin": {"l": 56, "r": 16, "t": 16, "b": 48},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, **extra},
        "legend": {"orientation": "h", "y": -0.25},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
    }


def km_figure(board: OutcomeDashboard) -> dict[str, Any]:
    rows = board.durability.rows if board.durability else []
    x = [r.days for r in rows]
    return {
        "data": [
            {
                "type": "scatter",
                "x": x,
                "y": [r.upper for r in rows],
                "mode": "lines",
                "line": {"width": 0, "shape": "hv"},
                "name": "95% CI upper",
                "showlegend": False,
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "x": x,
                "y": [r.lower for r in rows],
                "mode": "lines",
                "line": {"width": 0, "shape": "hv"},
                "fill": "tonexty",
                "fillcolor": BAND,
                "name": "95% confidence band",
            },
            {
                "type": "scatter",
                "x": x,
                "y": [r.survival for r in rows],
                "mode": "lines",
                "line": {"color": LINE, "width": 2, "shape": "hv"},
                "name": "Free of relapse (Kaplan-Meier)",
            },
        ],
        "layout": _layout("Days since response", "Share free of relapse", range=[0, 1.02]),
    }


def trajectory_figure(board: OutcomeDashboard) -> dict[str, Any]:
    weeks = board.weeks
    x = [w.week for w in weeks]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [d / 7 for d, _ in line],
            "y": [v for _, v in line],
            "mode": "lines",
            "line": {"color": "rgba(120,120,120,0.25)", "width": 1},
            "hoverinfo": "skip",
            "showlegend": False,
        }
        for line in board.lines
    ]
    data += [
        {
            "type": "scatter",
            "x": x,
            "y": [w.q3 for w in weeks],
            "mode": "lines",
            "line": {"width": 0},
            "showlegend": False,
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": x,
            "y": [w.q1 for w in weeks],
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": BAND,
            "name": "Interquartile range",
        },
        {
            "type": "scatter",
            "x": x,
            "y": [w.median for w in weeks],
            "mode": "lines+markers",
            "line": {"color": LINE, "width": 2},
            "name": "Median",
        },
    ]
    return {
        "data": data,
        "layout": _layout("Week of treatment", f"{board.instrument.upper()} total"),
    }
