"""Delivery rules, as plain functions (no Django imports): which failures are retried,
and when the next attempt is due."""

from __future__ import annotations

import datetime as dt


class DeliveryError(Exception):
    """A delivery failed for a reason that may pass (provider down, timeout, rate limit):
    retried. `reason` is safe to store and show: no message text, no number."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentDeliveryError(DeliveryError):
    """A delivery that cannot succeed as it stands (invalid number, refused recipient,
    rejected credentials): not retried."""


def retry_delay(*, attempt: int, base_seconds: float) -> dt.timedelta:
    """Exponential backoff: after attempt 1 wait `base`, after 2 wait 2 x base, then 4 x..."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    return dt.timedelta(seconds=base_seconds * 2 ** (attempt - 1))


def next_attempt(
    *, attempt: int, max_attempts: int, permanent: bool, now: dt.datetime, base_seconds: float
) -> dt.datetime | None:
    """When to try again after failed attempt number `attempt`; None: give up."""
    if permanent or attempt >= max_attempts:
        return None
    return now + retry_delay(attempt=attempt, base_seconds=base_seconds)
