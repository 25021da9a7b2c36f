"""The clock services read, so tests can move time (device spacing, 2-h observation).

`KETACARE_CLOCK` (an ISO-8601 instant) is honoured only when settings.DEBUG or
settings.KETACARE_TESTING is true: production always uses the real clock.
"""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.utils import timezone

ENV = "KETACARE_CLOCK"


def _override() -> dt.datetime | None:
    if not (settings.DEBUG or getattr(settings, "KETACARE_TESTING", False)):
        return None
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    moment = dt.datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def now() -> dt.datetime:
    """The current instant (aware), or the test-set one."""
    return _override() or timezone.now()


def set_for_tests(moment: dt.datetime | None) -> None:
    """Fix the clock at `moment` (None: back to the real clock). Tests only."""
    if moment is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = moment.isoformat()
