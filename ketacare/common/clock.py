"""The clock services read, so tests can move time (device spacing, 2-h observation).

`KETACARE_CLOCK` (an ISO-8601 instant) is honoured only when settings.DEBUG or
settings.KETACARE_TESTING is true: production always uses the real clock.

`writing_history_at(moment)` sets the clock for the code inside it, so that the demo
seed writes past sessions through the same services (device spacing, observation times)
a nurse uses. It is code, not configuration: nothing outside can set it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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


_history: ContextVar[dt.datetime | None] = ContextVar("ketacare_history", default=None)


def now() -> dt.datetime:
    """The current instant (aware), or the test-set one."""
    return _history.get() or _override() or timezone.now()


@contextmanager
def writing_history_at(moment: dt.datetime) -> Iterator[None]:
    """Inside the block, now() answers `moment` (for seeding past records)."""
    token = _history.set(moment)
    try:
        yield
    finally:
        _history.reset(token)


def set_for_tests(moment: dt.datetime | None) -> None:
    """Fix the clock at `moment` (None: back to the real clock). Tests only."""
    if moment is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = moment.isoformat()
