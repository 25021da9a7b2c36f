"""Answer builders for the scoring tests (inputs only; expected values stay literal)."""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.measures import get_instrument

Answer = int | bool | None


def zeros(code: str) -> list[Answer]:
    """Every item at its lowest value (optional unscored items left unanswered)."""
    instrument = get_instrument(code)
    return [item.low if item.required else None for item in instrument.items]


def with_total(code: str, total: int) -> list[Answer]:
    """Answers whose total is `total`, filling items (or domains) from the first."""
    instrument = get_instrument(code)
    answers = zeros(code)
    remaining = total
    if instrument.total_rule == "subscores":
        # One item per domain carries the domain score; the others stay at 0.
        targets = [instrument.items[s.items[0] - 1] for s in instrument.subscores]
    else:
        targets = list(instrument.scored_items)
    for item in targets:
        value = min(item.high, remaining)
        answers[item.number - 1] = value
        remaining -= value
    assert remaining == 0, f"{code}: total {total} is out of reach"
    return answers


def setting(
    code: str, numbers: Mapping[int, Answer], base: list[Answer] | None = None
) -> list[Answer]:
    """`base` (default: zeros) with the 1-based item numbers set to the given values."""
    answers = list(base) if base is not None else zeros(code)
    for number, value in numbers.items():
        answers[number - 1] = value
    return answers
