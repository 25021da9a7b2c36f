"""Measurement-based care: rating scales, their scores and safety alerts.

This package's public scoring API is pure Python (no Django): instrument data in
`instruments/`, arithmetic in `scoring.py`. Models, services and views live in the
other modules of the app and import from here.
"""

from __future__ import annotations

from .instruments import (
    INSTRUMENTS,
    AnswerOption,
    Band,
    Instrument,
    Item,
    ScoringError,
    get_instrument,
)
from .scoring import SafetyFinding, ScoreResult, default_config, score

__all__ = [
    "INSTRUMENTS",
    "AnswerOption",
    "Band",
    "Instrument",
    "Item",
    "SafetyFinding",
    "ScoreResult",
    "ScoringError",
    "default_config",
    "get_instrument",
    "score",
]
