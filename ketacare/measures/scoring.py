"""Scoring: answers in, a total, a band, flags and safety findings out, with the reasons.

Pure Python, no Django. `score(code, answers, config=...)` validates every answer against
the instrument's data (count, type, range, skip logic; no prorating), applies the clinic's
overrides of the configurable thresholds, and explains each part of the result in
`reasons`. The instruments themselves are data in ketacare.measures.instruments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .instruments import INSTRUMENTS, Instrument, Item, ScoringError, get_instrument
from .instruments.base import AnswerValue, Band

Answers = tuple[AnswerValue | None, ...]


@dataclass(frozen=True)
class SafetyFinding:
    """A flag that calls for clinical action (an alert), with the item that raised it."""

    flag: str
    item: int | None  # 1-based item number
    item_key: str | None
    severity: str  # "moderate" or "high"
    reason: str


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    version: str
    total: int | None
    severity: str | None  # band key, e.g. "moderately_severe"; None without bands
    severity_label: str | None
    flags: tuple[str, ...]
    subscores: dict[str, int]
    risk: str | None  # cssrs_screen only: none / low / moderate / high
    provisional_diagnosis: bool | None  # pcl5 only
    findings: tuple[SafetyFinding, ...]
    reasons: tuple[str, ...]
    config: dict[str, Any] = field(default_factory=dict)  # the effective configuration


def default_config(code: str) -> dict[str, Any]:
    """The configurable thresholds and choices of an instrument, with their defaults."""
    return {setting.key: setting.default for setting in get_instrument(code).configurable}


def score(
    code: str,
    answers: Sequence[int | bool | None],
    *,
    config: Mapping[str, Any] | None = None,
) -> ScoreResult:
    instrument = get_instrument(code)
    settings = _resolve_config(instrument, config)
    values = _validate(instrument, answers)

    subscores = {
        subscore.key: _combine(subscore.rule, [_int(values[n - 1]) for n in subscore.items])
        for subscore in instrument.subscores
    }
    reasons: list[str] = []
    total: int | None = None
    band: Band | None = None
    if instrument.total_rule == "items":
        total = sum(_int(values[item.number - 1]) for item in instrument.scored_items)
        reasons.append(f"Total {total} = sum of items {_numbers(instrument.scored_items)}")
    elif instrument.total_rule == "subscores":
        total = sum(subscores.values())
        parts = ", ".join(
            f"{s.label.lower()} {subscores[s.key]} ({_rule_text(s.rule, s.items)})"
            for s in instrument.subscores
        )
        reasons.append(
            f"Total {total} = sum of the {len(instrument.subscores)} domain scores: {parts}"
        )
    if total is not None:
        bands = _bands(instrument, settings)
        if bands:
            band = next(b for b in bands if b.low <= total <= b.high)
            reasons[-1] += f"; band {band.label.lower()} ({band.low}-{band.high}, {band.source})"
        else:
            reasons[-1] += "; no severity bands"

    outcome = _Outcome()
    _RULES.get(instrument.code, _no_rules)(instrument, values, settings, total, outcome)
    return ScoreResult(
        instrument=instrument.code,
        version=instrument.version,
        total=total,
        severity=band.key if band else None,
        severity_label=band.label if band else None,
        flags=tuple(outcome.flags),
        subscores=subscores,
        risk=outcome.risk,
        provisional_diagnosis=outcome.provisional_diagnosis,
        findings=tuple(outcome.findings),
        reasons=(*reasons, *outcome.reasons),
        config=settings,
    )


# --- validation ------------------------------------------------------------------------------


def _resolve_config(instrument: Instrument, config: Mapping[str, Any] | None) -> dict[str, Any]:
    code = instrument.code
    settings = {setting.key: setting.default for setting in instrument.configurable}
    if config is None:
        return settings
    if not isinstance(config, Mapping):
        raise ScoringError(f"{code}: config must be a mapping, got {type(config).__name__}")
    for key, value in config.items():
        setting = next((s for s in instrument.settings if s.key == key), None)
        if setting is None:
            known = ", ".join(settings) or "none"
            raise ScoringError(f"{code}: unknown config key {key!r}; configurable keys: {known}")
        if not setting.configurable:
            raise ScoringError(
                f"{code}: config key {key!r} is a published rule ({setting.source}) and is "
                "not configurable"
            )
        if setting.choices:
            if not isinstance(value, str) or value not in setting.choices:
                raise ScoringError(
                    f"{code}: config {key} must be one of {', '.join(setting.choices)}; "
                    f"got {value!r}"
                )
        else:
            low, high = setting.minimum, setting.maximum
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or (low is not None and value < low)
                or (high is not None and value > high)
            ):
                raise ScoringError(
                    f"{code}: config {key} must be an integer {low}-{high}; got {value!r}"
                )
        settings[key] = value
    return settings


def _validate(instrument: Instrument, answers: Sequence[int | bool | None]) -> Answers:
    code = instrument.code
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise ScoringError(
            f"{code}: answers must be a sequence of item values in item order, "
            f"got {type(answers).__name__}"
        )
    count = len(instrument.items)
    optional_tail = _optional_tail(instrument)
    if count - optional_tail <= len(answers) < count:
        # Trailing items that are optional and unscored (PHQ-9 item 10) may be left off.
        answers = [*answers, *([None] * (count - len(answers)))]
    if len(answers) != count:
        message = f"{code}: got {len(answers)} answers, expected {count} (items 1-{count})"
        if len(answers) < count:
            first_missing = instrument.items[len(answers)]
            raise ScoringError(
                f"{message}; {_name(instrument, first_missing)} has no answer",
                item=first_missing.number,
            )
        raise ScoringError(message)

    given: dict[str, AnswerValue | None] = {}
    for item, value in zip(instrument.items, answers, strict=True):
        name = _name(instrument, item)
        asked, condition = _asked(instrument, item, given)
        if not asked:
            if value is not None:
                raise ScoringError(
                    f"{name}: not asked ({condition}), so its answer must be None; got {value!r}",
                    item=item.number,
                )
        elif value is None:
            if item.required:
                because = f" (asked because {condition})" if condition else ""
                raise ScoringError(
                    f"{name}: answer missing{because}; no prorating", item=item.number
                )
        elif item.boolean:
            if not isinstance(value, bool):
                raise ScoringError(
                    f"{name}: expected True or False, got {value!r} ({type(value).__name__})",
                    item=item.number,
                )
        else:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScoringError(
                    f"{name}: expected an integer {item.low}-{item.high}, "
                    f"got {value!r} ({type(value).__name__})",
                    item=item.number,
                )
            if not item.low <= value <= item.high:
                raise ScoringError(
                    f"{name}: {value} is outside {item.low}-{item.high}", item=item.number
                )
        given[item.key] = value
    return tuple(given[item.key] for item in instrument.items)


def _optional_tail(instrument: Instrument) -> int:
    """How many of the last items are unscored, optional and always asked: a caller may
    leave them off the answers (PHQ-9 item 10, the difficulty question)."""
    tail = 0
    for item in reversed(instrument.items):
        if item.scored or item.required or item.asked_when is not None:
            break
        tail += 1
    return tail


def _asked(
    instrument: Instrument, item: Item, given: Mapping[str, AnswerValue | None]
) -> tuple[bool, str]:
    """Whether skip logic asks the item, and the condition as text (empty: always asked)."""
    if item.asked_when is None:
        return True, ""
    key, expected = item.asked_when
    actual = given[key]
    asked = type(actual) is type(expected) and actual == expected
    condition = _name(instrument, instrument.item(key), with_code=False)
    if asked:
        return True, f"{condition} is {expected!r}"
    return False, f"asked only when {condition} is {expected!r}; it is {actual!r}"


def _name(instrument: Instrument, item: Item, *, with_code: bool = True) -> str:
    name = f"item {item.number}"
    if not item.key.endswith(f"_{item.number}"):
        name += f" ({item.key})"
    return f"{instrument.code} {name}" if with_code else name


# --- arithmetic and text ---------------------------------------------------------------------


def _int(value: AnswerValue | None) -> int:
    assert value is not None and not isinstance(value, bool)  # guaranteed by _validate
    return int(value)


def _combine(rule: str, values: list[int]) -> int:
    return max(values) if rule == "max" else sum(values)


def _bands(instrument: Instrument, settings: Mapping[str, Any]) -> tuple[Band, ...]:
    if "bands" in settings:
        return instrument.band_set(settings["bands"]).bands
    return instrument.bands


def _numbers(items: Sequence[Item]) -> str:
    numbers = [item.number for item in items]
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
        return f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(map(str, numbers))


def _rule_text(rule: str, numbers: tuple[int, ...]) -> str:
    if len(numbers) == 1:
        return f"item {numbers[0]}"
    listed = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
    if numbers == tuple(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
        listed = f"{numbers[0]}-{numbers[-1]}"
    return f"{rule} of items {listed}"


# --- instrument rules ------------------------------------------------------------------------


@dataclass
class _Outcome:
    flags: list[str] = field(default_factory=list)
    findings: list[SafetyFinding] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    risk: str | None = None
    provisional_diagnosis: bool | None = None


Rule = Callable[[Instrument, Answers, Mapping[str, Any], int | None, _Outcome], None]


def _no_rules(
    instrument: Instrument,
    values: Answers,
    settings: Mapping[str, Any],
    total: int | None,
    outcome: _Outcome,
) -> None:
    pass


def _suicide_item(number: int, *, high_key: str | None = None, note: str = "") -> Rule:
    """Flag `suicidal_ideation` when item `number` >= suicidal_ideation_threshold.

    The finding is "high", or, with `high_key`, "high" at or above that setting and
    "moderate" below it.
    """

    def rule(
        instrument: Instrument,
        values: Answers,
        settings: Mapping[str, Any],
        total: int | None,
        outcome: _Outcome,
    ) -> None:
        item = instrument.items[number - 1]
        value = _int(values[number - 1])
        threshold = settings["suicidal_ideation_threshold"]
        said = f"Item {number} ({item.label.lower()}) = {value}"
        if value < threshold:
            outcome.reasons.append(
                f"{said}, below the threshold {threshold}: no suicidal ideation flag"
            )
            return
        severity = "high"
        grading = ""
        if high_key is not None:
            high = settings[high_key]
            severity = "high" if value >= high else "moderate"
            compare = ">=" if value >= high else "<"
            grading = f"; {severity} finding (item {number} {compare} {high})"
        text = f"{said}, at or above the threshold {threshold}: suicidal ideation flag{grading}"
        outcome.flags.append("suicidal_ideation")
        outcome.reasons.append(text)
        outcome.findings.append(
            SafetyFinding(
                flag="suicidal_ideation",
                item=number,
                item_key=item.key,
                severity=severity,
                reason=f"{text}{note}",
            )
        )

    return rule


def _cadss(
    instrument: Instrument,
    values: Answers,
    settings: Mapping[str, Any],
    total: int | None,
    outcome: _Outcome,
) -> None:
    threshold = settings["dissociation_threshold"]
    assert total is not None
    if total > threshold:
        outcome.flags.append("dissociation")
        outcome.reasons.append(
            f"Total {total} > {threshold}: dissociation flag (informational; TRANSFORM-2/"
            "SUSTAIN-1 post hoc rule applies to the session's peak)"
        )
    else:
        outcome.reasons.append(f"Total {total} <= {threshold}: no dissociation flag")


def _pcl5(
    instrument: Instrument,
    values: Answers,
    settings: Mapping[str, Any],
    total: int | None,
    outcome: _Outcome,
) -> None:
    endorsed_at = int(instrument.setting("endorsed_at").default)
    parts, met_all = [], True
    for cluster in instrument.subscores:
        endorsed = sum(1 for n in cluster.items if _int(values[n - 1]) >= endorsed_at)
        needed = cluster.min_endorsed or 0
        met = endorsed >= needed
        met_all = met_all and met
        parts.append(
            f"{cluster.key} {endorsed} of {len(cluster.items)} (needs {needed}, "
            f"{'met' if met else 'not met'})"
        )
    outcome.provisional_diagnosis = met_all
    outcome.reasons.append(
        f"Cluster rule (item >= {endorsed_at} is endorsed): {'; '.join(parts)}: provisional "
        f"PTSD diagnosis {'met' if met_all else 'not met'}"
    )
    cutoff = settings["probable_ptsd_cutoff"]
    assert total is not None
    if total >= cutoff:
        outcome.flags.append("probable_ptsd")
        outcome.reasons.append(f"Total {total} >= cut-off {cutoff}: probable PTSD flag")
    else:
        outcome.reasons.append(f"Total {total} < cut-off {cutoff}: no probable PTSD flag")


def _cssrs(
    instrument: Instrument,
    values: Answers,
    settings: Mapping[str, Any],
    total: int | None,
    outcome: _Outcome,
) -> None:
    q1, q2, q3, q4, q5, q6, q6b = values
    items = instrument.items
    # (risk, triggering item, text) in order of precedence
    triggers: list[tuple[str, Item, str]] = []
    if q4 is True:
        triggers.append(("high", items[3], "Q4 yes (intent without a specific plan)"))
    if q5 is True:
        triggers.append(("high", items[4], "Q5 yes (plan and intent)"))
    if q6 is True and q6b is True:
        triggers.append(("high", items[6], "Q6 yes with behaviour within the past 3 months"))
    if q3 is True:
        triggers.append(("moderate", items[2], "Q3 yes (thoughts with method)"))
    if q6 is True and q6b is False:
        triggers.append(
            ("moderate", items[5], "Q6 yes, behaviour lifetime / more than 3 months ago")
        )
    if q1 is True:
        triggers.append(("low", items[0], "Q1 yes (wish to be dead)"))
    if q2 is True:
        triggers.append(("low", items[1], "Q2 yes (non-specific active suicidal thoughts)"))

    outcome.reasons.append("No total score (C-SSRS Screen)")
    if not triggers:
        outcome.risk = "none"
        outcome.reasons.append("Risk none: no to Q1, Q2 and Q6")
        return
    risk = triggers[0][0]
    deciding = [t for t in triggers if t[0] == risk]
    text = f"Risk {risk}: {'; '.join(t[2] for t in deciding)}"
    outcome.risk = risk
    outcome.reasons.append(f"{text} (Blueprint risk mapping)")
    if risk in ("moderate", "high"):
        flag = f"suicide_risk_{risk}"
        first = deciding[0][1]
        outcome.flags.append(flag)
        outcome.findings.append(
            SafetyFinding(
                flag=flag, item=first.number, item_key=first.key, severity=risk, reason=text
            )
        )


_phq9_item9 = _suicide_item(
    9, note="; any answer above 0 warrants immediate follow-up, whatever the total"
)


def _phq9(
    instrument: Instrument,
    values: Answers,
    settings: Mapping[str, Any],
    total: int | None,
    outcome: _Outcome,
) -> None:
    _phq9_item9(instrument, values, settings, total, outcome)
    item10, answer = instrument.items[9], values[9]
    shown = "not answered" if answer is None else f"{answer} ({item10.option(answer).label})"
    outcome.reasons.append(f"Item 10 (difficulty) {shown}: not part of the total")


_RULES: dict[str, Rule] = {
    "phq9": _phq9,
    "qids_sr16": _suicide_item(12, high_key="suicidal_ideation_high_threshold"),
    "madrs": _suicide_item(10),
    "hamd17": _suicide_item(3, high_key="suicidal_ideation_high_threshold"),
    "cadss": _cadss,
    "pcl5": _pcl5,
    "cssrs_screen": _cssrs,
}
assert set(_RULES) <= set(INSTRUMENTS)
