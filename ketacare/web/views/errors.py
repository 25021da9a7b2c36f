from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.common import context


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "title": "Not found",
            "message": "There is nothing here, or you do not have access to it.",
        },
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "title": "Something went wrong",
            "message": "The error was logged. Quote this request id to support.",
            "request_id": context.current().request_id,
        },
        status=500,
    )
