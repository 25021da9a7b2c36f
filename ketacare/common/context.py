"""Per-request context (request id, client IP) that services read for audit rows.

Set by RequestContextMiddleware for web and API requests; command-line runs
get a fresh request id per command.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip_address: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("ketacare_request", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def is_bound() -> bool:
    return _current.get() is not None


def current() -> RequestContext:
    ctx = _current.get()
    return ctx if ctx is not None else RequestContext(request_id=new_request_id())


@contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
