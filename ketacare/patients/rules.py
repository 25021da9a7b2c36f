"""Pure validation rules for registry data, shared by the API and the web forms.

Each check returns an error message (naming what is wrong) or None. Limits that
are clinical choices come in as arguments; settings hold their defaults.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

# ICD-10 / ICD-10-CM: letter, two digits (CM allows a letter third, e.g. M1A),
# then optionally a dot and 1-4 more characters. U codes are reserved but valid.
_ICD10 = re.compile(r"^([A-Z][0-9][0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?$")
_MRN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
MAX_AGE_YEARS = 130


def normalise_icd10(code: str) -> str | None:
    """'f332' -> 'F33.2'; None when the text is not ICD-10 shaped."""
    text = code.strip()
    # isascii: str.upper() would turn e.g. 'ß' into 'SS' and let it pass as a code.
    match = _ICD10.match(text.upper()) if text.isascii() else None
    if not match:
        return None
    category, extension = match.groups()
    return f"{category}.{extension}" if extension else category


def icd10_error(code: str) -> str | None:
    if normalise_icd10(code) is None:
        return (
            f"{code!r} is not an ICD-10 code: expected a letter, two characters and an "
            "optional extension, e.g. F33.2."
        )
    return None


def mrn_error(mrn: str) -> str | None:
    if not _MRN.fullmatch(mrn):  # fullmatch: '$' would accept a trailing newline
        return "Use 1-32 letters, digits or hyphens, starting with a letter or digit."
    return None


def date_of_birth_error(born: dt.date, *, today: dt.date) -> str | None:
    if born > today:
        return "Date of birth cannot be in the future."
    if today.year - born.year > MAX_AGE_YEARS:
        return f"Date of birth is more than {MAX_AGE_YEARS} years ago."
    return None


def blank_error(text: str, *, what: str) -> str | None:
    """A required name made only of spaces is as empty as no name."""
    return f"{what} cannot be blank." if not text.strip() else None


def not_future_error(day: dt.date, *, today: dt.date, what: str) -> str | None:
    return f"{what} cannot be in the future." if day > today else None


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    unit: str

    def error(self, value: Decimal | float, *, what: str) -> str | None:
        if not (self.low <= float(value) <= self.high):
            return (
                f"{what} of {value} {self.unit} is outside the plausible range "
                f"{self.low:g}-{self.high:g} {self.unit}."
            )
        return None


def measurement_errors(
    *,
    weight_kg: Decimal,
    height_cm: Decimal | None,
    measured_on: dt.date,
    today: dt.date,
    weight_range: Range,
    height_range: Range,
    born: dt.date | None = None,
) -> dict[str, str]:
    """A weight (and height) in range, dated between the patient's birth and today."""
    errors = {
        "weight_kg": weight_range.error(weight_kg, what="Weight"),
        "height_cm": height_range.error(height_cm, what="Height")
        if height_cm is not None
        else None,
        "measured_on": not_future_error(measured_on, today=today, what="Measurement date")
        or (
            f"Measurement date {measured_on} is before the date of birth {born}."
            if born is not None and measured_on < born
            else None
        ),
    }
    return {field: message for field, message in errors.items() if message}


def medication_errors(*, start_date: dt.date | None, stop_date: dt.date | None) -> dict[str, str]:
    if start_date and stop_date and stop_date < start_date:
        return {"stop_date": "Stop date is before the start date."}
    return {}


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    metres = height_cm / 100
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class ChartFlag:
    code: str
    text: str
    level: str  # "danger", "warning" or "info"


def chart_flags(
    *,
    archived: bool,
    has_allergy_review: bool,
    latest_weight_on: dt.date | None,
    today: dt.date,
    weight_stale_days: int,
    treatment_consent: bool,
    open_safety_alerts: int = 0,
) -> list[ChartFlag]:
    """Flags for the chart header, each with the reason it was raised."""
    flags: list[ChartFlag] = []
    if open_safety_alerts:
        plural = "s" if open_safety_alerts > 1 else ""
        flags.append(
            ChartFlag(
                "open_safety_alert",
                f"{open_safety_alerts} open safety alert{plural}: see Measures",
                "danger",
            )
        )
    if archived:
        flags.append(ChartFlag("archived", "Archived: read-only record", "info"))
    if not has_allergy_review:
        flags.append(ChartFlag("allergies_unknown", "Allergies not yet recorded", "warning"))
    if latest_weight_on is None:
        flags.append(ChartFlag("no_weight", "No weight on record", "warning"))
    elif (today - latest_weight_on).days > weight_stale_days:
        days = (today - latest_weight_on).days
        flags.append(
            ChartFlag(
                "weight_stale",
                f"Last weight is {days} days old (limit {weight_stale_days})",
                "warning",
            )
        )
    if not treatment_consent:
        flags.append(ChartFlag("no_treatment_consent", "No current treatment consent", "warning"))
    return flags


def days_ago_words(day: dt.date, today: dt.date) -> str:
    """How long ago a date was, in words for a banner: "today", "1 day ago", "12 days ago"."""
    days = (today - day).days
    if days <= 0:
        return "today" if days == 0 else f"on {day:%d %b %Y}"
    return f"{days} day{'s' if days != 1 else ''} ago"
