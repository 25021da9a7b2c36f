"""Lists that come a page at a time name their next page in a `Link` header (RFC 8288),
so a client follows `rel="next"` without building addresses of its own."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse


def link_next(request: HttpRequest, response: HttpResponse, query: Mapping[str, object]) -> None:
    """Name the next page: this path with `query` (values of None left out)."""
    params = {key: value for key, value in query.items() if value is not None}
    response["Link"] = f'<{request.path}?{urlencode(params)}>; rel="next"'
