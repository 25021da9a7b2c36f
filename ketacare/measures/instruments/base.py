"""The data types that describe a rating instrument.

Pure Python, no Django. An instrument is data: its items, answer options, bands, the
settings a clinic may change and the flags it can raise, each with its source. The
arithmetic that turns answers into a result is in ketacare.measures.scoring.

`Instrument.__post_init__` checks the data's own consistency (item numbering, unique
keys, skip conditions that point backwards, bands that tile the total range), so a
mistake in an instrument module fails at import, not at scoring time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal, NoReturn

Respondent = Literal["patient", "clinician"]
Licence = Literal[
    "free_with_copyright",
    "public_domain",
    "paper_free_electronic_unclear",
    "licence_required",
    "electronic_sublicence_required",
    "not_covered",
]
LICENCES: tuple[str, ...] = (
    "free_with_copyright",
    "public_domain",
    "paper_free_electronic_unclear",
    "licence_required",
    "electronic_sublicence_required",
    "not_covered",
)
AnswerValue = int | bool


class ScoringError(ValueError):
    """Answers, a config or an instrument code that cannot be scored.

    `item` is the 1-based number of the item at fault, or None when the fault is not one
    item's (an unknown instrument or config key, too many answers).
    """

    def __init__(self, message: str, *, item: int | None = None) -> None:
        super().__init__(message)
        self.item = item


@dataclass(frozen=True)
class AnswerOption:
    value: AnswerValue
    label: str
    loinc_answer: str | None = None


@dataclass(frozen=True)
class Item:
    """One question. `asked_when=(key, value)`: asked only when the item with that key
    was answered `value`; otherwise its answer must be None."""

    number: int  # 1-based position in the answers sequence
    key: str
    label: str  # short label KetaCare may always show
    text: str | None  # full wording, or None when KetaCare may not ship it
    options: tuple[AnswerOption, ...]
    scored: bool = True
    loinc: str | None = None
    asked_when: tuple[str, AnswerValue] | None = None
    required: bool = True  # False: None is an accepted answer even when asked
    answer_list: str | None = None  # LOINC answer list (LL code) where verified
    source_item: int | None = None  # for a short form: the item number in the full scale

    @property
    def boolean(self) -> bool:
        return all(isinstance(option.value, bool) for option in self.options)

    @property
    def values(self) -> tuple[AnswerValue, ...]:
        return tuple(option.value for option in self.options)

    @property
    def low(self) -> int:
        return int(min(self.values))

    @property
    def high(self) -> int:
        return int(max(self.values))

    def option(self, value: AnswerValue) -> AnswerOption:
        return next(option for option in self.options if option.value == value)


@dataclass(frozen=True)
class Band:
    """Severity band: totals low..high inclusive."""

    key: str
    label: str
    low: int
    high: int
    source: str


@dataclass(frozen=True)
class BandSet:
    """A named set of bands, for instruments with more than one published set."""

    key: str
    label: str
    bands: tuple[Band, ...]
    source: str


@dataclass(frozen=True)
class Subscore:
    """A named part score: the sum or the maximum of some items (1-based numbers).

    `min_endorsed` is for cluster rules (PCL-5): how many of the items must be endorsed.
    """

    key: str
    label: str
    items: tuple[int, ...]
    rule: Literal["sum", "max"] = "sum"
    min_endorsed: int | None = None


@dataclass(frozen=True)
class Setting:
    """A threshold or choice the scoring uses.

    configurable=True: a clinic may override it through `score(..., config=...)`, and
    `default_config()` lists it. configurable=False: a published rule, recorded here so
    that the data says where every number comes from.
    """

    key: str
    default: int | str
    description: str
    source: str
    basis: str  # e.g. "published cut-off", "clinical choice", "post hoc analysis"
    configurable: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlagRule:
    """A flag the instrument can raise. safety=True: it also raises a SafetyFinding."""

    flag: str
    rule: str  # human-readable condition, naming the setting keys it uses
    safety: bool
    source: str
    finding_severity: str | None = None  # "moderate", "high" or a rule, when safety


@dataclass(frozen=True)
class Wording:
    """A validated translation of what the patient reads: the instrument's name (ending in
    the same abbreviation), its instructions, each item's text and answer labels, and the
    band labels, all in the original's order. Values, scoring and flags never change."""

    language: str  # an ISO 639-1 code: "es"
    name: str
    preamble: str
    recall: str
    items: tuple[str, ...]
    options: tuple[tuple[str, ...], ...]  # per item, in the order of the item's options
    bands: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    version: str
    respondent: Respondent
    recall: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    total_range: tuple[int, int] | None
    loinc_panel: str | None
    loinc_total: str | None
    licence: Licence
    licence_note: str
    full_wording: bool
    sources: tuple[str, ...]
    preamble: str
    total_rule: Literal["items", "subscores", "none"] = "items"
    subscores: tuple[Subscore, ...] = ()
    band_sets: tuple[BandSet, ...] = ()  # alternatives; `bands` is the default one
    settings: tuple[Setting, ...] = ()
    flags: tuple[FlagRule, ...] = ()
    loinc_note: str = ""
    notes: tuple[str, ...] = ()
    language: str = "en"  # the language of the words below
    translations: tuple[Wording, ...] = ()

    def __post_init__(self) -> None:
        _check(self)
        for wording in self.translations:
            _check_wording(self, wording)

    def languages(self) -> tuple[str, ...]:
        return (self.language, *(w.language for w in self.translations))

    def in_language(self, language: str) -> Instrument:
        """The instrument as the patient reads it in `language`; itself (in its own
        language) where no validated translation is shipped. Scores are unchanged."""
        wording = next((w for w in self.translations if w.language == language), None)
        if wording is None:
            return self
        items = tuple(
            replace(
                item,
                text=text,
                options=tuple(
                    replace(o, label=label) for o, label in zip(item.options, labels, strict=True)
                ),
            )
            for item, text, labels in zip(self.items, wording.items, wording.options, strict=True)
        )
        return replace(
            self,
            name=wording.name,
            preamble=wording.preamble,
            recall=wording.recall,
            items=items,
            bands=tuple(
                replace(b, label=label) for b, label in zip(self.bands, wording.bands, strict=True)
            ),
            language=wording.language,
            translations=(),
        )

    @property
    def abbreviation(self) -> str:
        """The short name clinicians use: "PHQ-9" from "Patient Health Questionnaire-9
        (PHQ-9)"."""
        found = re.search(r"\(([^()]+)\)\s*$", self.name)
        return found.group(1) if found else self.name

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    def item(self, key: str) -> Item:
        return next(item for item in self.items if item.key == key)

    def setting(self, key: str) -> Setting:
        return next(setting for setting in self.settings if setting.key == key)

    @property
    def configurable(self) -> tuple[Setting, ...]:
        return tuple(setting for setting in self.settings if setting.configurable)

    def band_set(self, key: str) -> BandSet:
        return next(band_set for band_set in self.band_sets if band_set.key == key)


def _check_wording(instrument: Instrument, wording: Wording) -> None:
    where = f"instrument {instrument.code}, {wording.language} wording"
    if not instrument.full_wording:
        raise ValueError(f"{where}: only an instrument shipped in full can be translated")
    if len(wording.items) != len(instrument.items) or len(wording.options) != len(instrument.items):
        raise ValueError(f"{where}: one text and one set of answers per item")
    for item, labels in zip(instrument.items, wording.options, strict=True):
        if len(labels) != len(item.options):
            raise ValueError(f"{where}: item {item.number} has {len(item.options)} answers")
    if len(wording.bands) != len(instrument.bands):
        raise ValueError(f"{where}: one label per band")
    if not wording.name.endswith(f"({instrument.abbreviation})"):
        raise ValueError(f"{where}: the name must end with ({instrument.abbreviation})")


def _check(instrument: Instrument) -> None:
    """Consistency of one instrument's data; raises ValueError naming the problem."""
    code = instrument.code

    def fail(problem: str) -> NoReturn:
        raise ValueError(f"instrument {code}: {problem}")

    if [item.number for item in instrument.items] != list(range(1, len(instrument.items) + 1)):
        fail("items must be numbered 1..n in order")
    keys = [item.key for item in instrument.items]
    if len(set(keys)) != len(keys):
        fail("item keys must be unique")
    if instrument.licence not in LICENCES:
        fail(f"unknown licence {instrument.licence!r}")
    if instrument.full_wording != all(item.text for item in instrument.items):
        fail("full_wording must say whether every item has its text")
    if not instrument.full_wording and any(item.text for item in instrument.items):
        fail("an instrument without full wording ships no item text")
    for item in instrument.items:
        values = item.values
        if not values or len(set(values)) != len(values):
            fail(f"item {item.number}: options must be distinct and non-empty")
        if not item.boolean and (
            any(isinstance(v, bool) for v in values)
            or sorted(values) != list(range(item.low, item.high + 1))
        ):
            fail(f"item {item.number}: integer options must be consecutive")
        if item.asked_when is not None:
            key, _ = item.asked_when
            if key not in keys[: item.number - 1]:
                fail(f"item {item.number}: asked_when must name an earlier item")
    if instrument.total_rule != "none" and any(
        not item.required or item.asked_when for item in instrument.scored_items
    ):
        fail("scored items must always be asked and answered (no prorating)")
    numbers = {item.number for item in instrument.items}
    for subscore in instrument.subscores:
        if not set(subscore.items) <= numbers:
            fail(f"subscore {subscore.key} names an unknown item")
    if instrument.total_rule == "none":
        if instrument.total_range is not None or instrument.bands:
            fail("an instrument without a total has no total range and no bands")
    else:
        expected = _computed_range(instrument)
        if instrument.total_range != expected:
            fail(f"total_range {instrument.total_range} differs from the items' {expected}")
    band_sets = [instrument.bands, *(band_set.bands for band_set in instrument.band_sets)]
    for bands in band_sets:
        if bands:
            _check_bands(bands, instrument.total_range, fail)
    if instrument.band_sets and instrument.bands != instrument.band_sets[0].bands:
        fail("bands must be the first (default) band set")
    setting_keys = [setting.key for setting in instrument.settings]
    if len(set(setting_keys)) != len(setting_keys):
        fail("setting keys must be unique")
    for setting in instrument.settings:
        if setting.choices and setting.default not in setting.choices:
            fail(f"setting {setting.key}: default is not one of its choices")
        if isinstance(setting.default, int) and not (
            (setting.minimum is None or setting.minimum <= setting.default)
            and (setting.maximum is None or setting.default <= setting.maximum)
        ):
            fail(f"setting {setting.key}: default outside its allowed range")


def _computed_range(instrument: Instrument) -> tuple[int, int]:
    scored = instrument.scored_items
    if instrument.total_rule == "subscores":
        parts = [
            [instrument.items[n - 1] for n in subscore.items] for subscore in instrument.subscores
        ]
        lows = [
            sum(i.low for i in p) if s.rule == "sum" else max(i.low for i in p)
            for s, p in zip(instrument.subscores, parts, strict=True)
        ]
        highs = [
            sum(i.high for i in p) if s.rule == "sum" else max(i.high for i in p)
            for s, p in zip(instrument.subscores, parts, strict=True)
        ]
        return sum(lows), sum(highs)
    return sum(item.low for item in scored), sum(item.high for item in scored)


def _check_bands(
    bands: tuple[Band, ...],
    total_range: tuple[int, int] | None,
    fail: Callable[[str], NoReturn],
) -> None:
    if total_range is None:
        fail("bands need a total range")
    if bands[0].low != total_range[0] or bands[-1].high != total_range[1]:
        fail("bands must start and end at the ends of the total range")
    for band in bands:
        if band.low > band.high:
            fail(f"band {band.key}: low above high")
    for before, after in pairwise(bands):
        if after.low != before.high + 1:
            fail(f"bands {before.key} and {after.key} leave a gap or overlap")
    if len({band.key for band in bands}) != len(bands):
        fail("band keys must be unique within a set")
