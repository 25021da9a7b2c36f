"""The clock services read: `now()`.

`writing_history_at(moment)` sets the clock for the code inside it, so that the demo
seed writes past sessions through the same services (device spacing, observation times)
a nurse uses. It is code, not configuration: nothing outside can set it.

Tests move time with time-machine (tests/clock.py), which moves this clock together with
`timezone.now()` and `date.today()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_history: ContextVar[dt.datetime | None] = ContextVar("ketacare_history", default=None)


def now() -> dt.datetime:
    """The current instant (aware), or the one history is being written at."""
    return _history.get() or timezone.now()


@contextmanager
def writing_history_at(moment: dt.datetime) -> Iterator[None]:
    """Inside the block, now() answers `moment` (for seeding past records)."""
    token = _history.set(moment)
    try:
        yield
    finally:
        _history.reset(token)
