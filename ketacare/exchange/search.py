"""FHIR search over resources already built: parameters, date prefixes, paging. Pure.

The server builds the candidate resources of one clinic (narrowed by patient in the
database), then this module filters, sorts and pages them. Every refusal is a
SearchError naming the parameter, which the views turn into an OperationOutcome.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
# Parameters every searchable type takes; `patient`, `date`, `code` and `category`
# apply where the resource has that element (SEARCH_PARAMS lists which).
COMMON_PARAMS = {"_id", "_count", "_lastUpdated", "_format", "_getpages", "_offset"}
SEARCH_PARAMS: dict[str, set[str]] = {
    "Patient": {"birthdate", "identifier"},
    "Observation": {"patient", "subject", "date", "code", "category", "encounter"},
    "QuestionnaireResponse": {"patient", "subject", "authored", "questionnaire"},
    "Questionnaire": {"code", "url"},
    "Condition": {"patient", "subject", "code", "category", "onset-date"},
    "AllergyIntolerance": {"patient", "date"},
    "MedicationStatement": {"patient", "subject", "effective"},
    "MedicationAdministration": {"patient", "subject", "effective-time", "context"},
    "Encounter": {"patient", "subject", "date"},
}
DEFAULT_COUNT = 50
MAX_COUNT = 500


class SearchError(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Entry:
    """One resource with the values search compares against."""

    resource_type: str
    id: str
    resource: dict[str, Any]
    patient_id: str | None = None
    date: dt.datetime | None = None  # the resource's clinical date (start of its period)
    last_updated: dt.datetime | None = None
    codes: frozenset[tuple[str, str]] = frozenset()  # (system, code)
    categories: frozenset[tuple[str, str]] = frozenset()
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. encounter, identifier


@dataclass(frozen=True)
class DateFilter:
    prefix: str
    low: dt.datetime  # the value's range [low, high)
    high: dt.datetime

    def matches(self, value: dt.datetime | None) -> bool:
        if value is None:
            return False
        inside = self.low <= value < self.high
        match self.prefix:
            case "eq":
                return inside
            case "ne":
                return not inside
            case "gt" | "sa":
                return value >= self.high
            case "lt" | "eb":
                return value < self.low
            case "ge":
                return value >= self.low
            case "le":
                return value < self.high
        return False


_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
DATE_PARAMS = ("date", "authored", "effective", "effective-time", "onset-date", "birthdate")


def parse_date(parameter: str, raw: str, tz: dt.tzinfo = dt.UTC) -> DateFilter:
    """`ge2026-01-05`, `2026-01`, `lt2026-01-05T10:00:00Z`: a prefix and the implicit range
    of the value (a day is the whole day). A value without a time zone is read in `tz`."""
    prefix = "eq"
    if raw[:2] in PREFIXES:
        prefix, raw = raw[:2], raw[2:]
    found = _DATE.match(raw)
    if not found:
        raise SearchError(parameter, f"{raw!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD).")
    year = int(found["y"])
    try:
        if found["time"]:
            zone = found["tz"]
            offset = "+00:00" if zone == "Z" else (zone or "")
            value = dt.datetime.fromisoformat(f"{raw[:10]}T{found['time']}{offset}")
            if value.tzinfo is None:
                value = value.replace(tzinfo=tz)
            return DateFilter(prefix, value, value + dt.timedelta(seconds=1))
        if found["d"]:
            low = dt.datetime.combine(
                dt.date(year, int(found["m"]), int(found["d"])), dt.time(), tz
            )
            return DateFilter(prefix, low, low + dt.timedelta(days=1))
        if found["m"]:
            month = int(found["m"])
            low = dt.datetime(year, month, 1, tzinfo=tz)
            high = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
            return DateFilter(prefix, low, high)
        return DateFilter(
            prefix, dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)
        )
    except ValueError as exc:
        raise SearchError(parameter, f"{raw!r} is not a valid date.") from exc


def _token_matches(raw: str, values: Iterable[tuple[str, str]]) -> bool:
    """`code`, `system|code`, `system|` or `|code`; a comma separates alternatives."""
    pairs = set(values)
    for option in raw.split(","):
        if "|" in option:
            system, code = option.split("|", 1)
            if any((not system or s == system) and (not code or k == code) for s, k in pairs):
                return True
        elif any(k == option for _, k in pairs):
            return True
    return False


def _reference_id(raw: str, resource_type: str) -> str:
    return raw.removeprefix(f"{resource_type}/")


@dataclass(frozen=True)
class Query:
    filters: tuple[tuple[str, str], ...]
    count: int
    offset: int


def parse_query(
    resource_type: str, params: Sequence[tuple[str, str]], *, tz: dt.tzinfo = dt.UTC
) -> Query:
    allowed = COMMON_PARAMS | SEARCH_PARAMS.get(resource_type, set())
    filters = []
    count, offset = DEFAULT_COUNT, 0
    for name, value in params:
        base = name.split(":", 1)[0]
        if base not in allowed:
            raise SearchError(name, f"{resource_type} cannot be searched by {name!r}.")
        if base == "_count":
            if not value.isdigit() or int(value) < 1:
                raise SearchError(name, "Give a whole number of 1 or more.")
            count = min(int(value), MAX_COUNT)
        elif base == "_offset":
            if not value.isdigit():
                raise SearchError(name, "Give a whole number of 0 or more.")
            offset = int(value)
        elif base not in ("_format", "_getpages"):
            if base in (*DATE_PARAMS, "_lastUpdated"):
                parse_date(name, value, tz)  # refuse a bad date up front
            filters.append((base, value))
    return Query(tuple(filters), count, offset)


def _match_one(entry: Entry, name: str, raw: str, tz: dt.tzinfo) -> bool:
    if name == "_id":
        return entry.id in raw.split(",")
    if name in ("patient", "subject"):
        return entry.patient_id in {_reference_id(v, "Patient") for v in raw.split(",")}
    if name in ("encounter", "context"):
        return entry.extra.get("encounter") == _reference_id(raw, "Encounter")
    if name in DATE_PARAMS:
        return parse_date(name, raw, tz).matches(entry.date)
    if name == "_lastUpdated":
        return parse_date(name, raw, tz).matches(entry.last_updated)
    if name == "code":
        return _token_matches(raw, entry.codes)
    if name == "category":
        return _token_matches(raw, entry.categories)
    # identifier, url, questionnaire: a token against one (system, value) pair
    pair = (entry.extra.get(name + "_system", ""), entry.extra.get(name, ""))
    return _token_matches(raw, {pair})


def matches(entry: Entry, filters: Sequence[tuple[str, str]], tz: dt.tzinfo = dt.UTC) -> bool:
    return all(_match_one(entry, name, raw, tz) for name, raw in filters)


def run(entries: Iterable[Entry], query: Query, tz: dt.tzinfo = dt.UTC) -> tuple[list[Entry], int]:
    """The page of matching entries (sorted by date, then id) and the total count."""
    found = [entry for entry in entries if matches(entry, query.filters, tz)]
    found.sort(key=lambda e: (e.date or dt.datetime.min.replace(tzinfo=dt.UTC), e.id))
    return found[query.offset : query.offset + query.count], len(found)


def page_links(
    base_url: str, params: Sequence[tuple[str, str]], query: Query, total: int
) -> list[dict[str, str]]:
    """Bundle.link: self, and next/previous pages by _offset (same parameters otherwise)."""
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in params if k not in ("_offset", "_count")]

    def url(offset: int) -> str:
        return (
            base_url
            + "?"
            + urlencode([*kept, ("_count", str(query.count)), ("_offset", str(offset))])
        )

    links = [{"relation": "self", "url": url(query.offset)}]
    if query.offset + query.count < total:
        links.append({"relation": "next", "url": url(query.offset + query.count)})
    if query.offset > 0:
        links.append({"relation": "previous", "url": url(max(query.offset - query.count, 0))})
    return links
