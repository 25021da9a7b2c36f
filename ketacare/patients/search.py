"""What a person typed into the registry search, read as terms (pure: no Django).

People type "Rossi, Ravi" (the registry's own display order), "Ravi Rossi", a part of an
MRN ("0023"), a phone number as it is written ("+1 503 555 0117", "(503) 555-0117") or a
date of birth in their own format ("03/04/1980", "3.4.1980", "1980-04-03", "3 Apr 1980").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# A phone number is searched on its digits; fewer than this many could be anything.
MIN_PHONE_DIGITS = 6
_PHONE_TEXT = re.compile(r"^[\d\s()+./-]+$")
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


@dataclass(frozen=True)
class SearchTerms:
    """`words` must each match a name or a part of the MRN; `dates` are the dates of
    birth the text may mean (either may match); `phone_digits` matches a phone number."""

    words: tuple[str, ...] = ()
    dates: frozenset[dt.date] = frozenset()
    phone_digits: str = ""

    @property
    def empty(self) -> bool:
        return not (self.words or self.dates or self.phone_digits)


def digits_of(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def searchable_text(*parts: str) -> str:
    """What a search word is matched against: the parts in capitals, space-separated (a
    word has no spaces, so it never matches across two parts)."""
    return " ".join(part.strip().upper() for part in parts if part.strip())


def search_terms(text: str) -> SearchTerms:
    text = text.strip()
    if not text:
        return SearchTerms()
    if _looks_like_a_phone_number(text):
        return SearchTerms(phone_digits=digits_of(text))
    whole_date = _spelled_date(text.replace(",", " ").split())
    if whole_date:
        return SearchTerms(dates=frozenset({whole_date}))
    words: list[str] = []
    dates: set[dt.date] = set()
    for word in text.replace(",", " ").split():
        meant = dates_meant(word)
        if meant:
            dates |= meant
        else:
            words.append(word)
    return SearchTerms(words=tuple(words), dates=frozenset(dates))


def _looks_like_a_phone_number(text: str) -> bool:
    """Digits written as a phone number is: spaced, bracketed or with a country code, or a
    long run. A short run of digits is more likely a part of an MRN."""
    digits = digits_of(text)
    if not _PHONE_TEXT.match(text) or len(digits) < MIN_PHONE_DIGITS or dates_meant(text):
        return False
    return any(mark in text for mark in " (+") or len(digits) >= 7


def dates_meant(word: str) -> frozenset[dt.date]:
    """The dates a typed date may mean: ISO, or day and month in either order (03/04/1980
    is 3 April where the day comes first, 4 March where the month does)."""
    found = _NUMERIC_DATE.match(word.strip())
    if not found:
        return frozenset()
    first, second, third = (int(part) for part in found.groups())
    if len(found.group(1)) == 4:
        candidates = [(first, second, third)]
    elif len(found.group(3)) in (2, 4):
        year = third if len(found.group(3)) == 4 else _century(third)
        candidates = [(year, second, first), (year, first, second)]
    else:
        return frozenset()
    return frozenset(d for d in (_date(*c) for c in candidates) if d is not None)


def _spelled_date(words: list[str]) -> dt.date | None:
    """'3 Apr 1980', '3 April 1980' or 'April 3 1980'."""
    if len(words) != 3:
        return None
    lowered = [w.lower().rstrip(".") for w in words]
    for day_at, month_at in ((0, 1), (1, 0)):
        month = _MONTHS.get(lowered[month_at])
        if month and lowered[day_at].isdigit() and re.fullmatch(r"\d{4}", lowered[2]):
            return _date(int(lowered[2]), month, int(lowered[day_at]))
    return None


def _century(two_digits: int) -> int:
    # A date of birth typed with two digits: "80" is 1980 and "05" is 2005.
    return 2000 + two_digits if two_digits <= 30 else 1900 + two_digits


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
