from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django_htmx.middleware import HtmxDetails

from ketacare.common.csvfile import SafeWriter


class HtmxHttpRequest(HttpRequest):
    """The request type our views see: django-htmx's middleware adds `htmx`."""

    htmx: HtmxDetails


def csv_response(filename: str, rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A CSV download of `rows` (the first is the header)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    SafeWriter(response).writerows(rows)
    return response


class _Echo:
    def write(self, text: str) -> str:
        return text


def csv_stream(filename: str, rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    """A streamed CSV download, for exports too large to hold in memory."""
    writer = SafeWriter(_Echo())

    def lines() -> Iterator[str]:
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
