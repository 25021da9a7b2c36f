"""docs/outcomes.md states every setting with its default."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from pathlib import Path

import pytest

from ketacare.outcomes import MaintenanceRules, OutcomeRules, setting_keys

DOC = Path(__file__).resolve().parents[2] / "docs" / "outcomes.md"


def default_text(settings: object, key: str) -> str:
    name, _, instrument = key.partition(".")
    value = getattr(settings, name)
    if isinstance(value, Mapping):
        value = value[instrument]
    if value is None:
        return "empty"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    return f"{value:g}" if isinstance(value, float) else str(value)


@pytest.mark.parametrize("settings", [OutcomeRules(), MaintenanceRules()])
def test_every_setting_has_a_row_with_its_default(
    settings: OutcomeRules | MaintenanceRules,
) -> None:
    text = DOC.read_text(encoding="utf-8")
    for key in setting_keys(settings):
        row = f"| `{key}` | {default_text(settings, key)} |"
        assert row in text, row
