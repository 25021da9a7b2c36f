"""Denied requests are audit events: every 403 and 404 that a signed-in user gets on a
clinic path, web (/c/…) or API (/api/v1/…), however the view refused it.

The event goes to the requesting user's own clinic, never to the clinic a URL or id
points at: writing there would tell that clinic's trail (and timing) that the id exists.
The path is recorded without its query string, which may hold search terms.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from ketacare.accounts.access import ClinicAccess, memberships_of
from ketacare.accounts.models import Clinic, User
from ketacare.api.auth import SESSION_CLINIC_KEY
from ketacare.audit.services import Action, audit_record

CLINIC_PATHS = ("/c/", "/api/v1/", "/fhir/r4/")
DENIALS = {403, 404}


class DenialAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in DENIALS and request.path.startswith(CLINIC_PATHS):
            actor, clinic = _who_and_where(request)
            if actor is not None and clinic is not None:
                with transaction.atomic():
                    audit_record(
                        actor=actor,
                        clinic=clinic,
                        action=Action.DENY,
                        object_type="request",
                        details={
                            "status": response.status_code,
                            "method": request.method,
                            "path": request.path,
                        },
                    )
        return response


def _who_and_where(request: HttpRequest) -> tuple[User | None, Clinic | None]:
    access = getattr(request, "auth", None)
    if isinstance(access, ClinicAccess):  # API: the token's or session's clinic
        return access.user, access.clinic
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None, None  # anonymous: sign-in, not clinic access, answers them
    own = {m.clinic.slug: m.clinic for m in memberships_of(user)}
    match = request.resolver_match
    wanted = (
        (match.kwargs.get("clinic_slug") if match else None),
        request.headers.get("X-Clinic"),
        request.session.get(SESSION_CLINIC_KEY),
    )
    for slug in wanted:
        if slug in own:
            return user, own[slug]
    return user, next(iter(own.values()), None)
