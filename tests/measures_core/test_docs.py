"""docs/instruments.md states the bands, settings, flags and LOINC codes of the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ketacare.measures import INSTRUMENTS, get_instrument

DOC = Path(__file__).resolve().parents[2] / "docs" / "instruments.md"


def section(code: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    matches = [part for part in parts if part.splitlines()[0].endswith(f"(`{code}`)")]
    assert len(matches) == 1, f"one section headed '... (`{code}`)' expected"
    return matches[0]


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_section_lists_every_band(code: str) -> None:
    instrument = get_instrument(code)
    text = section(code)
    band_sets = [b.bands for b in instrument.band_sets] or [instrument.bands]
    for bands in band_sets:
        for band in bands:
            row = f"| `{band.key}` | {band.low}-{band.high} | {band.label} |"
            assert row in text, row


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_section_lists_every_configurable_setting_with_its_default(code: str) -> None:
    text = section(code)
    for setting in get_instrument(code).configurable:
        default = f"`{setting.default}`" if isinstance(setting.default, str) else setting.default
        rows = [line for line in text.splitlines() if f"| `{setting.key}` |" in line]
        assert len(rows) == 1, setting.key
        assert f"| {default} | yes |" in rows[0] or f"| {default} (" in rows[0], rows[0]


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_section_names_every_flag(code: str) -> None:
    text = section(code)
    for rule in get_instrument(code).flags:
        assert f"`{rule.flag}`" in text


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_section_states_every_shipped_loinc_code(code: str) -> None:
    instrument = get_instrument(code)
    text = section(code)
    found = [instrument.loinc_panel, instrument.loinc_total]
    for item in instrument.items:
        found += [item.loinc, item.answer_list, *(o.loinc_answer for o in item.options)]
    for loinc in {code for code in found if code is not None}:
        assert loinc in text, loinc


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_overview_row_matches_the_data(code: str) -> None:
    instrument = get_instrument(code)
    text = DOC.read_text(encoding="utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith(f"| `{code}` |")]
    assert f"| `{instrument.licence}` |" in row
    assert f"| {instrument.respondent} |" in row
    shipped = "full wording" if instrument.full_wording else "labels"
    assert shipped in row
    if instrument.total_range:
        assert f"| {instrument.total_range[0]}-{instrument.total_range[1]} |" in row
