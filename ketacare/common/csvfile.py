"""The one CSV writer of the project: every export goes through it.

A spreadsheet opens a cell that starts with = + - @ (or a tab or carriage return, which
some programs strip before reading the rest) as a formula, so a patient named
`=HYPERLINK(...)` would become a live link or a command (OWASP, "CSV Injection"). Such a
cell is written with a leading single quote, which spreadsheets show as text.

A number is data, not a formula: int, float and Decimal values, and strings that are a
plain number ("-5", "-1.2e-05", as the simulator writes them), are written as they are, so
negative figures stay numbers in a spreadsheet. Anything else that starts with a formula
character is neutralised, "-2+3" included.

Plain Python (no Django), so the simulator's command line uses it too; the downloads are
ketacare.common.http.csv_response and csv_stream.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as it may be written to a CSV cell without being run as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeWriter:
    """csv.writer with every cell passed through safe_cell."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
