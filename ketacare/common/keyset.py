"""Keyset (cursor) pagination for long lists, newest first.

OFFSET pagination makes the database read and throw away every row before the page, so
page 2,000 of the audit trail costs 2,000 pages. A cursor names the last row seen; the next
page starts after it on the index, whatever its depth. Cursors are short opaque strings:
"o123" (rows older than key 123) or "n123" (rows newer than 123).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from ketacare.common.errors import ValidationFailed

M = TypeVar("M", bound=Model)
OLDER, NEWER = "o", "n"
INVALID = "This page link is not valid: start again."


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    items: list[M]
    older: str | None  # the cursor of the next page down the list, if there is one
    newer: str | None  # the cursor of the page before this one, if there is one

    @property
    def has_other_pages(self) -> bool:
        return bool(self.older or self.newer)


def parse_cursor(text: str | None, field: str = "cursor") -> tuple[str, int] | None:
    if not text:
        return None
    direction, number = text[:1], text[1:]
    if direction not in (OLDER, NEWER) or not number.isdigit() or len(number) > 18:
        raise ValidationFailed.single(field, INVALID, location="query")
    return direction, int(number)


def keyset_page(
    rows: QuerySet[M], *, key: str, size: int, cursor: str | None, field: str = "cursor"
) -> KeysetPage[M]:
    """One page of `rows` in descending `key` (a unique, indexed integer) after `cursor`."""
    parsed = parse_cursor(cursor, field)
    if parsed is None:
        found = list(rows.order_by(f"-{key}")[: size + 1])
        return KeysetPage(found[:size], _cursor(OLDER, found, size, key), None)
    direction, at = parsed
    if direction == OLDER:
        found = list(rows.filter(**{f"{key}__lt": at}).order_by(f"-{key}")[: size + 1])
        newer = f"{NEWER}{_key(found[0], key)}" if found else None
        return KeysetPage(found[:size], _cursor(OLDER, found, size, key), newer)
    found = list(rows.filter(**{f"{key}__gt": at}).order_by(key)[: size + 1])
    page = list(reversed(found[:size]))
    more_newer = len(found) > size
    return KeysetPage(
        page,
        f"{OLDER}{_key(page[-1], key)}" if page else None,
        f"{NEWER}{_key(page[0], key)}" if more_newer else None,
    )


def _cursor(direction: str, found: list[Any], size: int, key: str) -> str | None:
    return f"{direction}{_key(found[size - 1], key)}" if len(found) > size else None


def _key(row: Any, key: str) -> int:
    return int(getattr(row, key))


# --- lists in a composite order (the registry: family name, given name, MRN) -----------


@dataclass(frozen=True)
class OrderedPage(Generic[M]):
    items: list[M]
    next_cursor: str | None  # the cursor of the page after this one, if there is one


def ordered_page(
    rows: QuerySet[M], *, order: Sequence[str], size: int, cursor: str | None, field: str = "cursor"
) -> OrderedPage[M]:
    """One page of `rows` in ascending `order` (text fields, whose last makes the order
    unique) after the row that `cursor` names. The cursor carries that row's values, so a
    page deep in the list starts on the index like the first one."""
    after = decode_values(cursor, len(order), field)
    if after is not None:
        rows = rows.filter(_after(order, after))
    found = list(rows.order_by(*order)[: size + 1])
    more = len(found) > size
    return OrderedPage(found[:size], cursor_after(found[size - 1], order) if more else None)


def cursor_after(row: Model, order: Sequence[str]) -> str:
    """The cursor of the page that follows `row`."""
    return encode_values([getattr(row, name) for name in order])


def _after(order: Sequence[str], values: Sequence[str]) -> Q:
    """(a, b, c) > (x, y, z), spelt out: a > x, or a = x and b > y, or ..."""
    condition = Q()
    for position, name in enumerate(order):
        equal = {f: v for f, v in zip(order[:position], values, strict=False)}
        condition |= Q(**equal, **{f"{name}__gt": values[position]})
    return condition


def encode_values(values: Sequence[Any]) -> str:
    """A short opaque cursor carrying a row's sort values (as text)."""
    text = json.dumps([str(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_values(cursor: str | None, length: int, field: str) -> list[str] | None:
    """The values a cursor carries; a 422 on `field` for anything this server did not write."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        values = None
    valid = isinstance(values, list) and len(values) == length
    if not valid or not all(isinstance(v, str) for v in values):
        raise ValidationFailed.single(field, INVALID, location="query")
    return values
