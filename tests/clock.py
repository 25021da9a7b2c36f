"""The test clock: the whole process's idea of "now", fixed at an instant.

`fix_clock` moves every clock the code can read (`timezone.now()`, `date.today()`,
`time.time()`, `ketacare.common.clock.now()`, and the live server's threads in the
browser tests) with time-machine, and the clock stays still until the test moves it.

Every test runs on a fixed clock. The root conftest fixes it, before each test, at
RUN_STARTED: the moment this test run began, read once from the real clock. A test whose
expectations hang on a particular moment (a weekday, an hour, a date in a worked example)
fixes its own; any other test works its expectations out from the clock it is given.
So no test can see the date change under it, and every test must pass on any date: CI
runs the suite once more with the real clock shifted (libfaketime, tests/shifted_clock.py)
to a date that breaks naive date code, which moves RUN_STARTED there.

After each test the clock is released, so a fixed clock never leaks into the next one.
Module-wide fixtures that build a world fix the clock themselves.
"""

from __future__ import annotations

import datetime as dt

import time_machine

# Read before any test moves the clock: the real (or CI's shifted) instant, to the second.
RUN_STARTED = dt.datetime.now(dt.UTC).replace(microsecond=0)

_travel: time_machine.travel | None = None
_fixed_at: dt.datetime | None = None


def fix_clock(moment: dt.datetime) -> dt.datetime:
    """Stop the clock at `moment` (aware) until it is moved or released; answer `moment`."""
    if moment.tzinfo is None:
        raise ValueError("fix the clock at an aware datetime")
    release_clock()
    global _travel, _fixed_at
    _travel, _fixed_at = time_machine.travel(moment, tick=False), moment
    _travel.start()
    return moment


def advance_clock(**delta: float) -> dt.datetime:
    """Move the fixed clock forward (`minutes=1`, `days=8`): a later step of the story
    happens later, so "the latest" record is never a tie of equal timestamps."""
    if _fixed_at is None:
        raise RuntimeError("the clock is not fixed")
    return fix_clock(_fixed_at + dt.timedelta(**delta))


def release_clock() -> None:
    """Back to the real clock."""
    global _travel, _fixed_at
    if _travel is not None:
        _travel.stop()
        _travel, _fixed_at = None, None


def clock_is_fixed() -> bool:
    return _travel is not None
