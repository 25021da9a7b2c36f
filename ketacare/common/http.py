from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request type our views see: django-htmx's middleware adds `htmx`."""

    htmx: HtmxDetails


def csv_response(filename: str, rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A CSV download of `rows` (the first is the header)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(rows)
    return response
