"""The test clock: fix the whole process's idea of "now" at an instant.

It moves every clock the code can read (`timezone.now()`, `date.today()`, `time.time()`,
`ketacare.common.clock.now()`, and the live server's threads in the browser tests) with
time-machine, and stays still until a test moves it. A test that reads "now" or "today",
directly or through the code under test, fixes the clock first, so that it passes on any
real date: CI runs the suite once more under a shifted clock (libfaketime) to prove it.

The root conftest releases the clock after every test, so a fixed clock never leaks into
the next test. Module-wide fixtures that build a world fix it themselves.
"""

from __future__ import annotations

import datetime as dt

import time_machine

_travel: time_machine.travel | None = None


def fix_clock(moment: dt.datetime) -> dt.datetime:
    """Stop the clock at `moment` (aware) until it is moved or released; answer `moment`."""
    if moment.tzinfo is None:
        raise ValueError("fix the clock at an aware datetime")
    release_clock()
    global _travel
    _travel = time_machine.travel(moment, tick=False)
    _travel.start()
    return moment


def release_clock() -> None:
    """Back to the real clock."""
    global _travel
    if _travel is not None:
        _travel.stop()
        _travel = None


def clock_is_fixed() -> bool:
    return _travel is not None
