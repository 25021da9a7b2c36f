"""The audit hash chain (pure). Each event's hash covers its contents and the
previous event's hash in the same clinic, so changing, removing or reordering
any row breaks every link after it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def jsonable(value: Any) -> Any:
    """Turn a field value into a JSON value that survives a database round trip."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Changed fields as {field: [old, new]}; a field missing on one side counts as None."""
    fields = sorted(set(before) | set(after))
    return {
        f: [jsonable(before.get(f)), jsonable(after.get(f))]
        for f in fields
        if jsonable(before.get(f)) != jsonable(after.get(f))
    }


def canonical(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(
        jsonable(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def event_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(payload)).hexdigest()


@dataclass(frozen=True)
class ChainedEvent:
    event_id: int
    sequence: int
    prev_hash: str
    hash: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class BrokenLink:
    event_id: int | None
    sequence: int
    reason: str


def first_break(
    events: Iterable[ChainedEvent],
    *,
    head_sequence: int | None = None,
    head_hash: str | None = None,
    anchored: Mapping[int, str] | None = None,
) -> BrokenLink | None:
    """Walk one clinic's events in sequence order; return the first broken link.

    anchored maps sequences to the hashes sealed outside the database (anchors.py).
    Given, it catches what the chain alone cannot: a chain re-hashed from an edit on,
    and events erased from the end (with the head) or altogether."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    for event in events:
        if event.sequence != expected_seq:
            return BrokenLink(
                event.event_id,
                event.sequence,
                f"sequence {expected_seq} is missing (found {event.sequence})",
            )
        if event.prev_hash != expected_prev:
            return BrokenLink(
                event.event_id,
                event.sequence,
                "previous-hash link does not match the event before it",
            )
        if event_hash(event.prev_hash, event.payload) != event.hash:
            return BrokenLink(
                event.event_id, event.sequence, "stored hash does not match the event's contents"
            )
        if anchored and anchored.get(event.sequence, event.hash) != event.hash:
            return BrokenLink(
                event.event_id,
                event.sequence,
                "hash differs from the anchored one: the chain was rewritten from here on",
            )
        expected_prev, expected_seq = event.hash, expected_seq + 1
    if anchored is not None and (erased := _anchor_erasure(anchored, expected_seq - 1)):
        return erased
    if head_sequence is not None and head_sequence != expected_seq - 1:
        return BrokenLink(
            None,
            expected_seq,
            f"chain head records {head_sequence} events but {expected_seq - 1} remain",
        )
    if head_hash is not None and head_hash != expected_prev:
        return BrokenLink(None, expected_seq - 1, "chain head hash does not match the last event")
    return None


def _anchor_erasure(anchored: Mapping[int, str], last: int) -> BrokenLink | None:
    if not anchored:
        return (
            BrokenLink(None, 1, "no anchor seals this chain (run `ketacare audit-anchor`)")
            if last
            else None
        )
    sealed = max(anchored)
    if sealed > last:
        return BrokenLink(
            None,
            last + 1,
            f"sequence {last + 1} is missing: an anchor seals {sealed} events, {last} remain",
        )
    return None
