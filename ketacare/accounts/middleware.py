from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketacare.accounts.models import Clinic


class ClinicTimezoneMiddleware:
    """Show times in the zone of the clinic named in the URL; they are stored in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        timezone.deactivate()
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> None:
        slug = view_kwargs.get("clinic_slug")
        if not slug:
            return
        zone = Clinic.objects.filter(slug=slug).values_list("time_zone", flat=True).first()
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
