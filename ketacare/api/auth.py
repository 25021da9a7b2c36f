"""API authentication: a session cookie (with CSRF) or a Bearer token.

Both resolve to a ClinicAccess: the token's own clinic, or for a session the
clinic named in the X-Clinic header (else the one chosen in the web app, else
the user's only clinic). A clinic the user is not a member of answers 404.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from ketacare.accounts.access import (
    ClinicAccess,
    clinic_access,
    memberships_of,
)
from ketacare.accounts.services import api_token_access

SESSION_CLINIC_KEY = "clinic"


def in_clinic_time(access: ClinicAccess) -> ClinicAccess:
    """Judge dates ("not in the future") by the clinic's calendar; stored times stay UTC.
    ClinicTimezoneMiddleware resets the zone when the response is done."""
    timezone.activate(zoneinfo.ZoneInfo(access.clinic.time_zone))
    return access


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ClinicAccess | None:
        found = api_token_access(token)
        if found is None:
            return None  # unknown, expired or revoked, or the membership ended
        access, _token = found
        request.auth_via = "token"  # type: ignore[attr-defined]
        return in_clinic_time(access)


class ClinicSessionAuth(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> ClinicAccess | None:
        # Without a signed-in user there is nothing to authenticate: answer 401 (from the
        # other schemes failing too), not the CSRF check's 403.
        user: Any = request.user
        if not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> ClinicAccess | None:
        user: Any = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        request.auth_via = "session"  # type: ignore[attr-defined]
        slug = request.headers.get("X-Clinic") or request.session.get(SESSION_CLINIC_KEY)
        if slug:
            return in_clinic_time(clinic_access(user=user, clinic_slug=slug))
        memberships = memberships_of(user)
        if len(memberships) == 1:
            return in_clinic_time(clinic_access(user=user, clinic_slug=memberships[0].clinic.slug))
        if not memberships:
            return None  # no clinic to act in: not authenticated for the API (401)
        raise HttpError(400, "You work in several clinics: name one in the X-Clinic header.")


AUTH = [TokenAuth(), ClinicSessionAuth()]


def access_of(request: HttpRequest) -> ClinicAccess:
    access = request.auth  # type: ignore[attr-defined]
    assert isinstance(access, ClinicAccess)
    return access
