from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from ketacare.common import context

# Accept an upstream proxy's request id only when it looks like one.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Give every request an id (echoed in X-Request-ID) and remember the client IP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else context.new_request_id()
        ctx = context.RequestContext(request_id=request_id, ip_address=client_ip(request))
        request.request_id = request_id  # type: ignore[attr-defined]
        with context.bound(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is spoofable unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR") or None


class SecurityHeadersMiddleware:
    """Input limits before anything reads the request, and headers on every answer.

    It sits after WhiteNoise, so static files (which hold no patient data and should be
    cached) never pass through it. Every other response is marked no-store: pages, API
    answers, PDFs and CSVs may all carry patient data, and the simplest honest rule is
    that nothing the application itself answers is kept by a browser or a proxy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = input_refusal(request) or self.get_response(request)
        add_never_cache_headers(response)
        response["Permissions-Policy"] = settings.KETACARE_PERMISSIONS_POLICY
        return response


# The file uploads: a referral (a FHIR Bundle with its letter, or a CSV of patients).
UPLOAD_PATHS = re.compile(r"^/api/v1/referrals/import$|^/c/[\w-]+/exchange/import/$")


def body_limit(path: str) -> int:
    """The largest body a path takes: KETACARE_MAX_UPLOAD_BYTES for a file upload,
    KETACARE_MAX_BODY_BYTES for everything else."""
    if UPLOAD_PATHS.match(path):
        return int(settings.KETACARE_MAX_UPLOAD_BYTES)
    return int(settings.KETACARE_MAX_BODY_BYTES)


def input_refusal(request: HttpRequest) -> HttpResponse | None:
    """413 for a body over the path's limit; 422 naming the field for a NUL
    character (PostgreSQL cannot store one, and no text needs it); else None."""
    api = request.path.startswith("/api/")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = body_limit(request.path)
    if length > limit:
        return _refusal(api, 413, f"The request body is larger than {limit} bytes.")
    if "\x00" in request.path:
        return _refusal(api, 404, "Not found.")
    field = nul_field(request)
    if field is None:
        return None
    if api:
        error = {"type": "value_error", "loc": list(field), "msg": NUL_MESSAGE}
        return JsonResponse({"detail": [error]}, status=422)
    return _refusal(False, 422, f"{field[-1]}: {NUL_MESSAGE}")


NUL_MESSAGE = "Null characters are not allowed."


def nul_field(request: HttpRequest) -> tuple[str, ...] | None:
    """Where a NUL character is: ("query", name), ("form", name) or ("body", "payload", ...)."""
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return ("query", name)
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"null")
        except ValueError:
            return None  # not JSON: the API's own parser answers
        path = _nul_path(payload)
        return None if path is None else ("body", "payload", *path)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return ("form", name)
    return None


def _nul_path(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [] if "\x00" in value else None
    items: Iterable[tuple[object, object]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return [key.replace("\x00", "\\u0000")]
        inner = _nul_path(item)
        if inner is not None:
            return [str(key), *inner]
    return None


def _refusal(api: bool, status: int, message: str) -> HttpResponse:
    if api:
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
