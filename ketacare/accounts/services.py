"""Writes for clinics, memberships and API tokens; each is audited in its transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ketacare.accounts import tokens
from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import ApiToken, Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.audit.services import Action, audit_as, audit_record
from ketacare.common.errors import NotFound, ValidationFailed


@transaction.atomic
def clinic_create(
    *, name: str, slug: str, time_zone: str = "UTC", actor: User | None = None
) -> Clinic:
    clinic = Clinic(name=name, slug=slug, time_zone=time_zone)
    clinic.full_clean()
    clinic.save()
    audit_record(
        actor=actor,
        clinic=clinic,
        action=Action.CREATE,
        object_type="clinic",
        object_id=clinic.pk,
        changes={"name": [None, name], "slug": [None, slug], "time_zone": [None, time_zone]},
    )
    return clinic


SITE_FIELDS = ("site_address", "site_city", "site_state", "site_zip", "site_phone")
CLINIC_FIELDS = ("name", "slug", "time_zone", "is_active", *SITE_FIELDS)


@transaction.atomic
def clinic_update(*, clinic: Clinic, data: dict[str, object], actor: User | None) -> Clinic:
    before = {f: getattr(clinic, f) for f in CLINIC_FIELDS}
    for field, value in data.items():
        if field not in CLINIC_FIELDS:
            raise ValidationFailed.single(field, "This field cannot be set here.")
        setattr(clinic, field, value)
    clinic.full_clean()
    changes = {
        f: [before[f], getattr(clinic, f)] for f in CLINIC_FIELDS if before[f] != getattr(clinic, f)
    }
    if changes:
        clinic.save()
        audit_record(
            actor=actor,
            clinic=clinic,
            action=Action.UPDATE,
            object_type="clinic",
            object_id=clinic.pk,
            changes=changes,
        )
    return clinic


@transaction.atomic
def membership_set(
    *, clinic: Clinic, user: User, role: Role, actor: User | None, is_active: bool = True
) -> Membership:
    """Give a user a role in a clinic (or change it). One role per clinic."""
    membership = Membership.objects.select_for_update().filter(clinic=clinic, user=user).first()
    before = {"role": membership.role, "is_active": membership.is_active} if membership else {}
    if membership is None:
        membership = Membership(clinic=clinic, user=user)
    membership.role, membership.is_active = role.value, is_active
    membership.save()
    after = {"role": membership.role, "is_active": membership.is_active}
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        audit_record(
            actor=actor,
            clinic=clinic,
            action=Action.UPDATE if before else Action.CREATE,
            object_type="membership",
            object_id=membership.pk,
            changes=changes,
            details={"user": user.get_username()},
        )
    return membership


@transaction.atomic
def api_token_create(
    *, access: ClinicAccess, name: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    """Create a token for the caller in this clinic. The raw token is returned once only."""
    if not name.strip():
        raise ValidationFailed.single("name", "Name the token, e.g. 'lab interface'.")
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ValidationFailed.single("expires_in_days", "Choose 1 to 366 days.")
    parts = tokens.generate()
    expires = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=access.user,
        clinic=access.clinic,
        name=name.strip(),
        prefix=parts.prefix,
        secret_hash=tokens.hash_secret(parts.secret),
        expires_at=expires,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="api_token",
        object_id=token.pk,
        changes={"name": [None, token.name], "expires_at": [None, expires]},
    )
    return token, parts.raw


@transaction.atomic
def api_token_revoke(*, access: ClinicAccess, token_id: int) -> ApiToken:
    token = (
        ApiToken.objects.select_for_update()
        .filter(pk=token_id, user=access.user, clinic=access.clinic)
        .first()
    )
    if token is None:
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_as(
            access,
            action=Action.REVOKE,
            object_type="api_token",
            object_id=token.pk,
            changes={"revoked_at": [None, token.revoked_at]},
        )
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token for this string, or None (unknown, wrong secret, expired, revoked)."""
    parts = tokens.parse(raw)
    if parts is None:
        return None
    token = ApiToken.objects.select_related("user", "clinic").filter(prefix=parts.prefix).first()
    if token is None or not tokens.matches(parts.secret, token.secret_hash):
        return None
    now = timezone.now()
    if token.revoked_at or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    # Touch last use at most once a minute so reads don't turn into writes.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
