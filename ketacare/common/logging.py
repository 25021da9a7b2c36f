from __future__ import annotations

import json
import logging
import traceback

from django.conf import settings

from ketacare.common import context


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)  # django.request logs carry the request
        bound_id = context.current().request_id if context.is_bound() else None
        record.request_id = bound_id or getattr(request, "request_id", "-")
        return True


class RedactingFormatter(logging.Formatter):
    """Log an exception's type and stack, never its message, which may hold patient data."""

    def formatException(self, ei) -> str:
        if settings.DEBUG:  # developers on synthetic data need the message
            return super().formatException(ei)
        exc_type, _exc, tb = ei
        name = exc_type.__name__ if exc_type else "Exception"
        return "Traceback (message redacted):\n" + "".join(traceback.format_tb(tb)) + name

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may already have cached the full traceback text on the record.
        record.exc_text = None
        return super().format(record)


class JsonFormatter(RedactingFormatter):
    """One JSON object per line (KETACARE_LOG_FORMAT=json), for log collectors. Exception
    messages stay redacted as in the text format."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
