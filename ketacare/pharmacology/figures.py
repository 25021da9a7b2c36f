"""The simulator's Plotly figure and summary rows, built from results. Pure: no Django.

The figure is plain data (Plotly's JSON), rendered by `ketacare/static/ketacare/charts.js`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ketacare.pharmacology.engine import Result

COLOURS = ("#1f5f8b", "#b5472f", "#2f7d4f", "#7a4fa0", "#9a7b12")
BAND_ALPHA = "33"  # hex alpha appended to a colour for the 5–95th percentile band


@dataclass(frozen=True)
class SummaryRow:
    label: str
    model_title: str
    citation: str
    sampling: str  # the blood the model's Cp stands for, for clinicians
    subjects: int
    cmax: tuple[float, float, float]  # p5, p50, p95 across subjects
    tmax_h: tuple[float, float, float]
    auc: tuple[float, float, float]
    window_h: tuple[float, float, float]
    window_ce_ng_ml: float


def _spread(values: np.ndarray, scale: float = 1.0) -> tuple[float, float, float]:
    p5, p50, p95 = np.percentile(values * scale, [5, 50, 95])
    return (float(p5), float(p50), float(p95))


def summary_row(label: str, result: Result) -> SummaryRow:
    s = result.summary
    return SummaryRow(
        label=label,
        model_title=result.model.title,
        citation=result.model.citation,
        sampling=result.model.sampling.label,
        subjects=len(s.cmax_ng_ml),
        cmax=_spread(s.cmax_ng_ml),
        tmax_h=_spread(s.tmax_min, 1 / 60),
        auc=_spread(s.auc_ng_h_ml),
        window_h=_spread(s.time_in_window_min, 1 / 60),
        window_ce_ng_ml=result.window_ce_ng_ml,
    )


def window_spans(time_h: np.ndarray, ce: np.ndarray, level: float) -> list[tuple[float, float]]:
    """Time spans (h) where the curve is at or above `level`."""
    inside = np.r_[False, ce >= level, False]
    edges = np.flatnonzero(np.diff(inside.astype(int)))
    return [
        (float(time_h[a]), float(time_h[b - 1]))
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]


def _round(values: np.ndarray) -> list[float]:
    return [round(float(v), 3) for v in values]


def figure(results: Sequence[tuple[str, Result]]) -> dict[str, object]:
    """Cp (median and 5–95th percentile band) and Ce (median) per regimen, the dissociation
    window shaded where each regimen's median Ce reaches it. Each Cp trace names the blood
    its model stands for (arterial or venous), since the two differ during an infusion."""
    traces: list[dict[str, object]] = []
    shapes: list[dict[str, object]] = []
    for index, (label, result) in enumerate(results):
        colour = COLOURS[index % len(COLOURS)]
        blood = result.model.sampling.short
        hours = _round(result.time_min / 60)
        low, median, high = result.percentiles["cp"]
        if len(result.summary.cmax_ng_ml) > 1:
            traces.append(
                {
                    "x": hours + hours[::-1],
                    "y": _round(high) + _round(low[::-1]),
                    "fill": "toself",
                    "fillcolor": colour + BAND_ALPHA,
                    "line": {"width": 0},
                    "name": f"{label}: Cp, {blood}, 5–95th percentile",
                    "hoverinfo": "skip",
                    "type": "scatter",
                }
            )
        traces.append(
            {
                "x": hours,
                "y": _round(median),
                "name": f"{label}: Cp, {blood} (median)",
                "line": {"color": colour},
                "type": "scatter",
            }
        )
        traces.append(
            {
                "x": hours,
                "y": _round(result.median("ce")),
                "name": f"{label}: Ce effect site (median)",
                "line": {"color": colour, "dash": "dash"},
                "type": "scatter",
            }
        )
        for start, stop in window_spans(
            result.time_min / 60, result.median("ce"), result.window_ce_ng_ml
        ):
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": start,
                    "x1": stop,
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": colour,
                    "opacity": 0.12,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
    return {
        "data": traces,
        "layout": {
            "xaxis": {"title": {"text": "hours from the first dose"}},
            "yaxis": {"title": {"text": "ng/mL (model prediction)"}, "rangemode": "tozero"},
            "shapes": shapes,
            "legend": {"orientation": "h", "y": -0.25},
            "margin": {"t": 30, "r": 10, "l": 60, "b": 40},
            "height": 460,
        },
    }
