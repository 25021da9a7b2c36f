from __future__ import annotations

import logging
import traceback

from ketacare.common import context


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id if context._current.get() else "-"
        return True


class RedactingFormatter(logging.Formatter):
    """Log an exception's type and stack, never its message, which may hold patient data."""

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        exc_type, _exc, tb = ei
        name = exc_type.__name__ if exc_type else "Exception"
        return "Traceback (message redacted):\n" + "".join(traceback.format_tb(tb)) + name
