from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from ketacare.accounts import services
from ketacare.accounts.access import memberships_of
from ketacare.accounts.models import ApiToken
from ketacare.api.auth import access_of
from ketacare.common.errors import PermissionDenied

router = Router(tags=["staff"])


class MembershipOut(Schema):
    clinic: str
    clinic_name: str
    role: str


class MeOut(Schema):
    username: str
    display_name: str
    clinic: str
    role: str
    memberships: list[MembershipOut] = Field(
        ..., description="With a token: only the token's own clinic."
    )


class TokenIn(Schema):
    name: str = Field(..., max_length=100)
    # Required: every token expires (at most KETACARE_API_TOKEN_MAX_DAYS). A missing or
    # null value reaches the service, which answers 422 naming the field.
    expires_in_days: int | None = Field(
        default=None, description="Days until the token expires (required; 1 to the limit)."
    )


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(TokenOut):
    token: str = Field(..., description="Shown once; store it now.")


@router.get("/me", response=MeOut, summary="Who am I, and in which clinic")
def me(request: HttpRequest) -> dict[str, Any]:
    access = access_of(request)
    return {
        "username": access.user.get_username(),
        "display_name": str(access.user),
        "clinic": access.clinic.slug,
        "role": access.role.value,
        "memberships": [
            {"clinic": m.clinic.slug, "clinic_name": m.clinic.name, "role": m.role}
            for m in memberships_of(access.user)
            # A token is for one clinic: it does not reveal the user's other clinics.
            if getattr(request, "auth_via", "") == "session" or m.clinic_id == access.clinic.pk
        ],
    }


def _require_session(request: HttpRequest) -> None:
    # A leaked token must not be able to mint more tokens.
    if getattr(request, "auth_via", "") != "session":
        raise PermissionDenied("Manage API tokens from a signed-in session.")


@router.get("/tokens", response=list[TokenOut], summary="My API tokens in this clinic")
def token_list(request: HttpRequest) -> Any:
    access = access_of(request)
    return ApiToken.objects.filter(user=access.user, clinic=access.clinic)


@router.post("/tokens", response={201: TokenCreated}, summary="Create an API token")
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    _require_session(request)
    token, raw = services.api_token_create(
        access=access_of(request), name=payload.name, expires_in_days=payload.expires_in_days
    )
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": raw})


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="Revoke an API token")
def token_revoke(request: HttpRequest, token_id: int) -> Any:
    return services.api_token_revoke(access=access_of(request), token_id=token_id)
