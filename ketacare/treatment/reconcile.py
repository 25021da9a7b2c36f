"""The dose given, reconciled at the end of dosing. Pure Python, no Django.

For an IV infusion the dose is what the pump record says went in: the rate in mL/h over
the time the pump ran (start to stop, less pauses, following each rate change), times
the concentration in mg/mL, never more than the bag held (the ordered dose). Nasal
devices are counted; for IM, oral and sublingual doses the nurse records what was given.
Nothing is prefilled with the ordered dose: a difference from the order is shown and
needs a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

TENTH = Decimal("0.1")
HOUR = Decimal(3600)


@dataclass(frozen=True)
class PumpEvent:
    kind: str  # start, pause, resume, rate (change), stop
    at: dt.datetime
    rate_ml_per_h: Decimal | None = None  # start and rate changes carry the rate


@dataclass(frozen=True)
class Delivered:
    mg: Decimal  # rounded down to 0.1 mg, so never above what the pump delivered
    ml: Decimal
    running: dt.timedelta
    paused: dt.timedelta
    capped: bool  # the pump record exceeds the bag: the bag's content is what went in

    @property
    def explanation(self) -> str:
        pauses = f", paused {_duration(self.paused)}" if self.paused else ""
        capped = "; capped at the bag's content" if self.capped else ""
        return (
            f"the pump ran {_duration(self.running)}{pauses}: {self.ml.quantize(TENTH)} mL "
            f"= {self.mg.normalize():f} mg{capped}"
        )


def infusion_delivered(
    events: Sequence[PumpEvent],
    *,
    concentration_mg_per_ml: Decimal,
    bag_mg: Decimal,
    until: dt.datetime,
) -> Delivered:
    """What the pump delivered from its events up to `until` (the stop, or now)."""
    rate = Decimal(0)
    running_since: dt.datetime | None = None
    paused_since: dt.datetime | None = None
    ml = Decimal(0)
    running = paused = dt.timedelta(0)
    for event in sorted(events, key=lambda e: e.at):
        at = min(event.at, until)
        if running_since is not None:  # close the segment run at the current rate
            ml += rate * Decimal((at - running_since).total_seconds()) / HOUR
            running += at - running_since
            running_since = at
        if event.rate_ml_per_h is not None:
            rate = event.rate_ml_per_h
        if event.kind in {"start", "resume"} and running_since is None:
            running_since = at
            if paused_since is not None:
                paused += at - paused_since
                paused_since = None
        elif event.kind == "pause" and running_since is not None:
            running_since, paused_since = None, at
        elif event.kind == "stop":
            running_since = None
            break
    if running_since is not None:
        ml += rate * Decimal((until - running_since).total_seconds()) / HOUR
        running += until - running_since
    mg = ml * concentration_mg_per_ml
    capped = mg > bag_mg
    mg = min(mg, bag_mg).quantize(TENTH, rounding=ROUND_DOWN)
    return Delivered(mg=mg, ml=ml, running=running, paused=paused, capped=capped)


def difference(given: Decimal, ordered: Decimal) -> str:
    """How the dose given differs from the order, in words (empty when it does not)."""
    if given == ordered:
        return ""
    share = round(100 * given / ordered) if ordered else 0
    return f"{given.normalize():f} mg given of {ordered.normalize():f} mg ordered ({share}%)"


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if seconds else f"{minutes} min"
