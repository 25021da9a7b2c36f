"""The one CSV writer neutralises spreadsheet formulas (OWASP "CSV Injection")."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ketacare.common.csvfile import FORMULA_STARTS, SafeWriter, safe_cell


def _written(row: list[object]) -> list[str]:
    out = io.StringIO()
    SafeWriter(out).writerow(row)
    return next(csv.reader(io.StringIO(out.getvalue(), newline="")))


def _is_plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower().lstrip("+-")[:1] not in ("i", "n")


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_no_cell_is_read_back_as_a_formula(row: list[str]) -> None:
    for original, cell in zip(row, _written(list(row)), strict=True):
        if cell.startswith(FORMULA_STARTS):
            assert _is_plain_number(cell), cell
        else:
            assert cell in (original, "'" + original)


@given(st.text(alphabet="=+-@\t\r", min_size=1, max_size=2), st.text())
def test_a_cell_starting_with_a_formula_character_is_quoted(start: str, rest: str) -> None:
    text = start + rest
    if not _is_plain_number(text):
        assert safe_cell(text) == "'" + text


def test_examples() -> None:
    assert _written(['=HYPERLINK("http://x","y")', "@SUM(A1)", "-2+3", "Ahmed"]) == [
        '\'=HYPERLINK("http://x","y")',
        "'@SUM(A1)",
        "'-2+3",
        "Ahmed",
    ]
    # Numbers stay numbers, negative ones included, whether numbers or numeric text.
    assert _written([-5, Decimal("-1.5"), -0.25, "-5", "-1.2e-05", None]) == [
        "-5",
        "-1.5",
        "-0.25",
        "-5",
        "-1.2e-05",
        "",
    ]
