"""The session timeline: one Plotly figure (plain JSON, drawn by charts.js with the local
plotly.min.js) with the vital signs and the clinic's alert thresholds on top, and below,
on the same time axis, three lanes: dosing (start, pauses, devices, stop), alerts with
their acknowledgements, and ratings with side effects."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ketacare.treatment.selectors import SessionChart

VITALS = (
    ("systolic", "Systolic", "#b3261e"),
    ("diastolic", "Diastolic", "#e07b39"),
    ("heart_rate", "Heart rate", "#1f5fa8"),
    ("spo2", "SpO2", "#2e7d32"),
)
RANGE = [30, 220]  # mmHg, beats/min and SpO2 % share one axis
LANES = ("Dosing", "Alerts", "Ratings and side effects")


def _t(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _threshold_lines(chart: SessionChart) -> list[tuple[str, int, str]]:
    limits = chart.rules.thresholds
    return [
        (f"Systolic ≥ {limits.systolic_urgent}", limits.systolic_urgent, "#b3261e"),
        (f"Diastolic ≥ {limits.diastolic_urgent}", limits.diastolic_urgent, "#e07b39"),
        (f"HR > {limits.heart_rate_high}", limits.heart_rate_high, "#1f5fa8"),
        (f"HR < {limits.heart_rate_low}", limits.heart_rate_low, "#1f5fa8"),
        (f"SpO2 < {limits.spo2_urgent_below}", limits.spo2_urgent_below, "#2e7d32"),
    ]


def _vital_traces(chart: SessionChart) -> list[dict[str, Any]]:
    valid = [r for r in chart.readings if r.entered_in_error_at is None]
    return [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": label,
            "x": [_t(r.taken_at) for r in valid if getattr(r, name) is not None],
            "y": [getattr(r, name) for r in valid if getattr(r, name) is not None],
            "line": {"color": colour, "width": 2},
            "marker": {"size": 6, "color": colour},
            "yaxis": "y",
        }
        for name, label, colour in VITALS
    ]


def _lane(name: str, lane: str, points: list[tuple[Any, str]], symbol: str, colour: str) -> Any:
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [_t(at) for at, _ in points],
        "y": [lane] * len(points),
        "text": [text for _, text in points],
        "hovertemplate": "%{x|%H:%M:%S} %{text}<extra></extra>",
        "marker": {"symbol": symbol, "size": 11, "color": colour},
        "yaxis": "y2",
    }


def _lane_traces(chart: SessionChart) -> list[dict[str, Any]]:
    events = [e for e in chart.events if e.entered_in_error_at is None]
    dosing = [
        (e.at, f"{e.get_kind_display()}{f' ({e.reason})' if e.reason else ''}") for e in events
    ]
    alerts = [(a.raised_at, a.message) for a in chart.alerts]
    acks = [
        (a.acknowledged_at, f"Acknowledged by {a.acknowledged_by}: {a.get_action_display()}")
        for a in chart.alerts
        if a.acknowledged_at is not None
    ]
    ratings = [(s.answered_at, f"{s.instrument.upper()} total {s.total}") for s in chart.ratings]
    effects = [
        (e.observed_at, f"{e.get_effect_display()} ({e.get_severity_display().lower()})")
        for e in chart.side_effects
        if e.entered_in_error_at is None
    ]
    return [
        _lane("Dosing events", LANES[0], dosing, "diamond", "#6a1b9a"),
        _lane("Alerts", LANES[1], alerts, "x", "#b3261e"),
        _lane("Acknowledgements", LANES[1], acks, "circle-open", "#2e7d32"),
        _lane("Ratings", LANES[2], ratings, "square", "#1f5fa8"),
        _lane("Side effects", LANES[2], effects, "triangle-up", "#e07b39"),
    ]


def timeline_figure(chart: SessionChart) -> dict[str, Any]:
    """The figure, or an empty dict before anything is charted."""
    if not chart.readings and not chart.events:
        return {}
    zone = chart.session.clinic.time_zone
    shapes, annotations = [], []
    for label, value, colour in _threshold_lines(chart):
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": value,
                "y1": value,
                "line": {"color": colour, "width": 1, "dash": "dash"},
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "x": 1,
                "xanchor": "right",
                "yref": "y",
                "y": value,
                "yanchor": "bottom",
                "text": label,
                "showarrow": False,
                "font": {"size": 10, "color": colour},
            }
        )
    return {
        "data": _vital_traces(chart) + _lane_traces(chart),
        "layout": {
            "height": 460,
            "margin": {"l": 150, "r": 16, "t": 16, "b": 40},
            "shapes": shapes,
            "annotations": annotations,
            "legend": {"orientation": "h", "y": -0.12},
            "xaxis": {"type": "date", "title": {"text": f"Time ({zone})"}},
            "yaxis": {"domain": [0.38, 1], "title": {"text": "mmHg · /min · %"}, "range": RANGE},
            "yaxis2": {
                "domain": [0, 0.3],
                "type": "category",
                "categoryorder": "array",
                "categoryarray": list(reversed(LANES)),
                "fixedrange": True,
            },
            "plot_bgcolor": "#ffffff",
            "paper_bgcolor": "#ffffff",
        },
    }
