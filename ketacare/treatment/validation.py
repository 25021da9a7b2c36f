"""Validation of what is charted during a session: vital signs as typed or sent by a
monitor, and when they were taken. Pure Python, no Django.

Each function answers errors by field name (empty when the input is good), so the web
page, the API and the monitor batch refuse the same input with the same words, and
nothing is saved half-way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

VITAL_LABELS: dict[str, str] = {
    "systolic": "Systolic",
    "diastolic": "Diastolic",
    "heart_rate": "Heart rate",
    "spo2": "SpO2",
    "respiratory_rate": "Respiratory rate",
    "temperature_c": "Temperature",
    "moaas": "MOAA/S",
}
# Plausible physiological ranges: a value outside is a typing error, refused with its field.
RANGES: dict[str, tuple[float, float]] = {
    "systolic": (40, 300),
    "diastolic": (20, 200),
    "heart_rate": (20, 250),
    "spo2": (50, 100),
    "respiratory_rate": (2, 60),
    "temperature_c": (30, 45),
    "moaas": (0, 5),
}
DECIMAL_FIELDS = frozenset({"temperature_c"})
# A reading may be stamped a little ahead of the server's clock (a monitor's own clock);
# beyond this it is a wrong time, not a clock difference. A technical allowance.
CLOCK_ALLOWANCE = dt.timedelta(minutes=2)

Errors = dict[str, list[str]]


def parse_vitals(raw: Mapping[str, str]) -> tuple[dict[str, int | Decimal | None], Errors]:
    """Typed form input to values: blank is "not measured"; anything that is not a
    number is refused by its field (never dropped, so "abc"/80 is not saved as "/80")."""
    values: dict[str, int | Decimal | None] = {}
    errors: Errors = {}
    for name, label in VITAL_LABELS.items():
        text = str(raw.get(name) or "").strip()
        if not text:
            values[name] = None
            continue
        number = _number(text, whole=name not in DECIMAL_FIELDS)
        if number is None:
            kind = "a number" if name in DECIMAL_FIELDS else "a whole number"
            errors[name] = [f"{label}: enter {kind} (got {text[:20]!r})."]
        else:
            values[name] = number
    return values, errors


def _number(text: str, *, whole: bool) -> int | Decimal | None:
    if whole:
        return int(text) if text.isascii() and text.lstrip("-").isdigit() else None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def vital_errors(values: Mapping[str, Any]) -> Errors:
    """At least one vital sign, each inside its plausible range, and a diastolic below
    the systolic (80/120 is two numbers swapped, not a blood pressure)."""
    errors: Errors = {}
    if all(values.get(name) is None for name in VITAL_LABELS):
        return {"systolic": ["Enter at least one vital sign."]}
    for name, (low, high) in RANGES.items():
        value = values.get(name)
        if value is not None and not low <= float(value) <= high:
            errors[name] = [
                f"{VITAL_LABELS[name]} {value} is outside the plausible range {low:g}-{high:g}."
            ]
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    swapped = systolic is not None and diastolic is not None and diastolic >= systolic
    if swapped and "diastolic" not in errors:
        errors["diastolic"] = [
            f"Diastolic {diastolic} must be below systolic {systolic}: check the order."
        ]
    if (systolic is None) != (diastolic is None):
        missing = "diastolic" if diastolic is None else "systolic"
        errors.setdefault(missing, []).append(
            f"Enter both systolic and diastolic for a blood pressure "
            f"({VITAL_LABELS[missing].lower()} is missing)."
        )
    return errors


@dataclass(frozen=True)
class Window:
    """When a session's readings can have been taken: from check-in (or the booked start,
    whichever is earlier) up to now, with the clock allowance."""

    opens: dt.datetime
    closes: dt.datetime

    def error(self, taken_at: dt.datetime) -> str:
        if taken_at.tzinfo is None:
            return "Give the reading time with its time zone, e.g. 2024-03-04T10:05:00Z."
        if taken_at < self.opens:
            return (
                f"The reading time {taken_at:%Y-%m-%d %H:%M} is before this session "
                f"began ({self.opens:%Y-%m-%d %H:%M})."
            )
        if taken_at > self.closes:
            return f"The reading time {taken_at:%Y-%m-%d %H:%M} is in the future."
        return ""


def reading_window(
    *, scheduled_start: dt.datetime, checked_in_at: dt.datetime | None, now: dt.datetime
) -> Window:
    opens = min(scheduled_start, checked_in_at or scheduled_start)
    return Window(opens=opens, closes=now + CLOCK_ALLOWANCE)
