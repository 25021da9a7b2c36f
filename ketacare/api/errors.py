"""Map domain errors to HTTP answers: 422 with field paths, 404 that leaks nothing,
and 500 with a request id (logged without patient data)."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from ketacare.common import context
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed

log = logging.getLogger("ketacare.api")


def field_errors(exc: ValidationFailed, location: str = "") -> list[dict[str, object]]:
    where = location or exc.location
    # A body field is named inside the payload schema; a query parameter by its own name.
    path = [where, "payload"] if where == "body" else [where]
    return [
        {"loc": [*path, *field.split(".")], "msg": message, "type": "value_error"}
        for field, messages in exc.errors.items()
        for message in messages
    ]


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationFailed)
    def validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        return api.create_response(request, {"detail": field_errors(exc)}, status=422)

    @api.exception_handler(NotFound)
    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return api.create_response(request, {"detail": "Not found."}, status=404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=403)

    @api.exception_handler(SuspiciousOperation)
    def bad_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # A body too large (SecurityHeadersMiddleware refuses most of these before they
        # get here) or too many fields: the client's request, not a server error.
        status = 413 if isinstance(exc, RequestDataTooBig) else 400
        return api.create_response(request, {"detail": "The request is too large."}, status=status)

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        request_id = context.current().request_id
        log.error(
            "Unhandled API error on %s %s",
            request.method,
            request.path,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        return api.create_response(
            request,
            {
                "detail": "Internal server error. Quote this request id to support.",
                "request_id": request_id,
            },
            status=500,
        )
