"""Concentration–effect for the dissociative (psychedelic) effect. Pure: NumPy only.

Olofsen et al. 2022 (Anesthesiology): sigmoid Emax on the effect-site S-ketamine
concentration, C50 0.51 nmol/mL (95% CI 0.38–0.66) ≈ 121 ng/mL (× 237.7 g/mol), blood–
effect-site t½ 8.3 min. R-ketamine did not contribute. The Hill coefficient is NOT
published: it is a parameter (default 2, an assumption) and `hill_sensitivity` shows how
much the "dissociation likely" window depends on it.

The antidepressant effect is NOT modelled from concentration: its time course (hours to
weeks) outlasts the drug, and no exposure–response relationship was established for
esketamine in TRD (Janssen). Nothing here predicts mood.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

KETAMINE_G_PER_MOL = 237.7
OLOFSEN_C50_NMOL_ML = 0.51
OLOFSEN_C50_NG_ML = OLOFSEN_C50_NMOL_ML * KETAMINE_G_PER_MOL  # ≈ 121 ng/mL (computed)

DEFAULT_HILL = 2.0  # ASSUMED: not published (reference §7 "Hill coefficient [NF]")
# ASSUMED clinical choice: "dissociation likely" from 20% of the maximal effect. With the
# default Hill coefficient this is ≈ 60 ng/mL S-ketamine (≈ 120 ng/mL racemic), inside the
# 100–250 ng/mL racemic range linked to dissociation by Krystal 1994 (Zanos 2018 Table 1).
DEFAULT_WINDOW_FRACTION = 0.2

NOT_CONCENTRATION_DRIVEN = (
    "The antidepressant time course is not concentration-driven in the literature "
    "(effects outlast the drug by days; no exposure–response relationship was established "
    "for esketamine in TRD). This simulator predicts concentrations and the dissociative "
    "effect only, not mood."
)


@dataclass(frozen=True)
class EffectModel:
    c50_ng_ml: float = OLOFSEN_C50_NG_ML
    hill: float = DEFAULT_HILL
    window_fraction: float = DEFAULT_WINDOW_FRACTION

    def effect(self, ce_s_ng_ml: NDArray[np.float64]) -> NDArray[np.float64]:
        """Fraction of the maximal dissociative effect at an S-ketamine effect-site level."""
        ratio = np.maximum(ce_s_ng_ml, 0.0) / self.c50_ng_ml
        powered = ratio**self.hill
        return np.asarray(powered / (1.0 + powered))

    def window_threshold_s_ng_ml(self) -> float:
        """The S-ketamine Ce at which the effect reaches `window_fraction` of its maximum."""
        f = self.window_fraction
        return float(self.c50_ng_ml * (f / (1 - f)) ** (1 / self.hill))

    def window_threshold_ng_ml(self, s_fraction: float) -> float:
        """The same threshold on the model's measured (racemic or esketamine) Ce."""
        return self.window_threshold_s_ng_ml() / s_fraction


def time_in_window_min(
    times_min: NDArray[np.float64], ce: NDArray[np.float64], level: float
) -> float:
    """Trapezoidal integral of the indicator Ce ≥ level (exact to within one grid step)."""
    inside = (ce >= level).astype(float)
    return float(np.sum(np.diff(times_min) * (inside[1:] + inside[:-1]) / 2))


@dataclass(frozen=True)
class HillRow:
    hill: float
    window_ce_ng_ml: float
    minutes_in_window: float


def hill_sensitivity(
    times_min: NDArray[np.float64],
    ce: NDArray[np.float64],
    *,
    s_fraction: float,
    effect: EffectModel,
    hills: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0),
) -> list[HillRow]:
    """How the "dissociation likely" window of one Ce curve moves with the unpublished
    Hill coefficient (everything else as `effect`)."""
    rows = []
    for hill in hills:
        level = EffectModel(effect.c50_ng_ml, hill, effect.window_fraction)
        threshold = level.window_threshold_ng_ml(s_fraction)
        rows.append(HillRow(hill, threshold, time_in_window_min(times_min, ce, threshold)))
    return rows
