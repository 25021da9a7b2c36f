from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketacare.accounts import signin
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


class IdleTimeoutMiddleware:
    """Sign a session out after KETACARE_IDLE_MINUTES without a request, and after the
    absolute session lifetime (SESSION_COOKIE_AGE) since it was first seen signed in.
    The times are kept in the session; "seen" is written at most once a minute so that
    reads do not all turn into session writes."""

    SEEN, STARTED = "kc_seen_at", "kc_started_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and self._expired(request):
            signin.sign_out(request, reason="idle timeout")
            messages.info(request, "You were signed out after a period without activity.")
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> bool:
        now = timezone.now().timestamp()
        session = request.session
        seen = session.setdefault(self.SEEN, now)
        started = session.setdefault(self.STARTED, now)
        idle = settings.KETACARE_IDLE_MINUTES * 60
        if now - seen > idle or now - started > settings.SESSION_COOKIE_AGE:
            return True
        if now - seen >= 60:
            session[self.SEEN] = now
        return False
