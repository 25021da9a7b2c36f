"""Education fixtures: a clinic's team on the sessions' test clock and a patient with
contact details (the e-consent team)."""

from __future__ import annotations

import pytest

from tests.clock import fix_clock
from tests.consent.conftest import Team, team  # noqa: F401  (the same team)
from tests.sessions.build import BEFORE_SESSIONS

__all__ = ["Team"]


@pytest.fixture(autouse=True)
def _clock_before_the_sessions() -> None:
    fix_clock(BEFORE_SESSIONS)
