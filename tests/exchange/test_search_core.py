"""The pure search core: date prefixes and implicit ranges, tokens, paging."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.exchange.search import (
    Entry,
    Query,
    SearchError,
    page_links,
    parse_date,
    parse_query,
    run,
)

UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "value", "expected"),
    [
        ("2026-01-05", at(2026, 1, 5, 23, 59), True),
        ("2026-01-05", at(2026, 1, 6), False),
        ("gt2026-01-05", at(2026, 1, 6), True),
        ("gt2026-01-05", at(2026, 1, 5, 12), False),
        ("ge2026-01", at(2026, 1, 1), True),
        ("lt2026", at(2025, 12, 31, 23), True),
        ("lt2026", at(2026, 1, 1), False),
        ("le2026-01-05", at(2026, 1, 5, 23), True),
        ("ne2026-01-05", at(2026, 1, 4), True),
        ("2026-01-05T10:00:00Z", at(2026, 1, 5, 10), True),
        ("2026-01-05T10:00:00+01:00", at(2026, 1, 5, 9), True),
        ("2026-12", at(2026, 12, 31), True),
    ],
)
def test_date_prefixes(raw: str, value: dt.datetime, expected: bool) -> None:
    assert parse_date("date", raw).matches(value) is expected


@pytest.mark.parametrize("raw", ["yesterday", "2026-13-01", "2026-02-30", "26-01-01"])
def test_bad_dates_name_the_parameter(raw: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse_date("date", raw)
    assert caught.value.parameter == "date"


@given(st.datetimes(timezones=st.just(UTC)), st.dates())
def test_lt_ge_and_eq_ne_partition_every_instant(value: dt.datetime, day: dt.date) -> None:
    raw = day.isoformat()
    assert parse_date("d", "lt" + raw).matches(value) != parse_date("d", "ge" + raw).matches(value)
    assert parse_date("d", raw).matches(value) != parse_date("d", "ne" + raw).matches(value)


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(SearchError):
        parse_query("Patient", [("code", "x")])


@given(st.integers(1, 40), st.integers(1, 12))
def test_pages_cover_every_match_once(n: int, count: int) -> None:
    entries = [
        Entry("Observation", f"o{i:03d}", {}, date=at(2026, 1, 1) + dt.timedelta(hours=i))
        for i in range(n)
    ]
    seen: list[str] = []
    offset = 0
    while True:
        query = Query((), count, offset)
        page, total = run(entries, query)
        seen += [e.id for e in page]
        links = {link["relation"] for link in page_links("http://x/Observation", [], query, total)}
        if "next" not in links:
            break
        offset += count
    assert seen == sorted(e.id for e in entries)


def test_token_with_and_without_system() -> None:
    entry = Entry("Observation", "a", {}, codes=frozenset({("http://loinc.org", "44261-6")}))
    query = parse_query("Observation", [("code", "http://loinc.org|44261-6,foo")])
    assert run([entry], query)[1] == 1
    assert run([entry], parse_query("Observation", [("code", "|44261-6")]))[1] == 1
    assert run([entry], parse_query("Observation", [("code", "other|44261-6")]))[1] == 0
