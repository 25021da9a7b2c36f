"""The rating instruments KetaCare scores, as data (see docs/instruments.md)."""

from __future__ import annotations

from .base import (
    LICENCES,
    AnswerOption,
    Band,
    BandSet,
    FlagRule,
    Instrument,
    Item,
    ScoringError,
    Setting,
    Subscore,
)
from .cadss import CADSS, CADSS6
from .cssrs_screen import CSSRS_SCREEN
from .gad7 import GAD7
from .hamd17 import HAMD17
from .madrs import MADRS
from .pcl5 import PCL5
from .phq9 import PHQ9
from .qids_sr16 import QIDS_SR16

INSTRUMENTS: dict[str, Instrument] = {
    instrument.code: instrument
    for instrument in (PHQ9, GAD7, QIDS_SR16, MADRS, HAMD17, CADSS, CADSS6, PCL5, CSSRS_SCREEN)
}


def get_instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except (KeyError, TypeError):
        known = ", ".join(INSTRUMENTS)
        raise ScoringError(f"unknown instrument {code!r}; known: {known}") from None


__all__ = [
    "INSTRUMENTS",
    "LICENCES",
    "AnswerOption",
    "Band",
    "BandSet",
    "FlagRule",
    "Instrument",
    "Item",
    "ScoringError",
    "Setting",
    "Subscore",
    "get_instrument",
]
