"""Keyset (cursor) pagination for long lists, newest first.

OFFSET pagination makes the database read and throw away every row before the page, so
page 2,000 of the audit trail costs 2,000 pages. A cursor names the last row seen; the next
page starts after it on the index, whatever its depth. Cursors are short opaque strings:
"o123" (rows older than key 123) or "n123" (rows newer than 123).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet

from ketacare.common.errors import ValidationFailed

M = TypeVar("M", bound=Model)
OLDER, NEWER = "o", "n"


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
        raise ValidationFailed.single(field, "This page link is not valid: start again.")
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
