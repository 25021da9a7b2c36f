"""Health rules, as plain functions (no Django imports): what /healthz reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def heartbeat_check(
    *, newest_beat: dt.datetime | None, now: dt.datetime, tick_seconds: float, ticks: int = 2
) -> Check:
    """The worker is up when its newest heartbeat is at most `ticks` ticks old."""
    if newest_beat is None:
        return Check("worker", False, "no worker heartbeat recorded")
    age = (now - newest_beat).total_seconds()
    limit = ticks * tick_seconds
    if age > limit:
        return Check("worker", False, f"last heartbeat {age:.0f} s ago (limit {limit:.0f} s)")
    return Check("worker", True, f"last heartbeat {max(age, 0):.0f} s ago")


def overall(checks: list[Check]) -> tuple[str, int]:
    """("ok", 200) when every check passes, else ("failing", 503)."""
    return ("ok", 200) if all(c.ok for c in checks) else ("failing", 503)
