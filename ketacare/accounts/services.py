"""Writes for clinics, memberships, staff accounts and API tokens; each is audited in its
transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import policy, tokens
from ketacare.accounts.access import (
    ClinicAccess,
    access_with_role,
    administered_clinic_ids,
    live_membership_role,
)
from ketacare.accounts.models import ApiToken, Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.audit.services import Action, audit_as, audit_record
from ketacare.common.course_state import clinic_state_refresh
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.common.statements import Param, Select


@transaction.atomic
def clinic_create(
    *,
    name: str,
    slug: str,
    time_zone: str = "UTC",
    actor: User | None = None,
    mfa_required: bool = True,
) -> Clinic:
    clinic = Clinic(name=name, slug=slug, time_zone=time_zone, mfa_required=mfa_required)
    clinic.full_clean()
    clinic.save()
    audit_record(
        actor=actor,
        clinic=clinic,
        action=Action.CREATE,
        object_type="clinic",
        object_id=clinic.pk,
        changes={
            "name": [None, name],
            "slug": [None, slug],
            "time_zone": [None, time_zone],
            "mfa_required": [None, mfa_required],
        },
    )
    return clinic


SITE_FIELDS = ("site_address", "site_city", "site_state", "site_zip", "site_phone")
CLINIC_FIELDS = ("name", "slug", "time_zone", "is_active", "mfa_required", *SITE_FIELDS)


@transaction.atomic
def clinic_update(*, clinic: Clinic, data: dict[str, object], actor: User | None) -> Clinic:
    changes = _apply_fields(clinic, CLINIC_FIELDS, data)
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
        if "time_zone" in changes:  # the courses' calendar days move
            clinic_state_refresh(clinic)
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
    if before.get("is_active") and not is_active:
        _tokens_revoke(user=user, clinic=clinic, actor=actor, reason="membership ended")
    return membership


@transaction.atomic
def api_token_create(
    *, access: ClinicAccess, name: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    """Create a token for the caller in this clinic. The raw token is returned once only.
    Every token expires, at most KETACARE_API_TOKEN_MAX_DAYS after it is made."""
    if not name.strip():
        raise ValidationFailed.single("name", "Name the token, e.g. 'lab interface'.")
    limit = settings.KETACARE_API_TOKEN_MAX_DAYS
    if expires_in_days is None or not 1 <= expires_in_days <= limit:
        raise ValidationFailed.single(
            "expires_in_days", f"Every token expires: choose 1 to {limit} days."
        )
    parts = tokens.generate()
    expires = timezone.now() + dt.timedelta(days=expires_in_days)
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


def _tokens_revoke(
    *, user: User, actor: User | None, reason: str, clinic: Clinic | None = None
) -> None:
    """Revoke the user's live tokens (in one clinic, or all), each in its clinic's trail."""
    live = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if clinic is not None:
        live = live.filter(clinic=clinic)
    now = timezone.now()
    for token in live.select_related("clinic"):
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            clinic=token.clinic,
            action=Action.REVOKE,
            object_type="api_token",
            object_id=token.pk,
            changes={"revoked_at": [None, now]},
            details={"user": user.get_username(), "reason": reason},
        )


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


def api_token_access(raw: str) -> tuple[ClinicAccess, ApiToken] | None:
    """The access a live token gives in its clinic, with the token; None for an unknown,
    wrong, expired or revoked token, or a membership ended since it was made. One query
    reads the token, its user, its clinic and the membership's role: every API request
    with a token starts here."""
    token = _live_token(raw)
    if token is None:
        return None
    try:
        access = access_with_role(token.user, token.clinic, token.role)  # type: ignore[attr-defined]
    except NotFound:
        return None
    return access, token


def _live_token(raw: str) -> ApiToken | None:
    """The live token for this string, or None (unknown, wrong secret, expired, revoked).
    It carries `role`, its user's role by a live membership of its clinic ("" or None:
    none)."""
    parts = tokens.parse(raw)
    if parts is None:
        return None
    found = _TOKEN_BY_PREFIX.rows(prefix=parts.prefix)
    token = found[0] if found else None
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


# Every API request starts with this read: compiled once (common/statements.py).
_TOKEN_BY_PREFIX = Select(
    lambda: (
        ApiToken.objects.select_related("user", "clinic")
        .annotate(role=live_membership_role(OuterRef("user"), OuterRef("clinic")))
        .filter(prefix=Param("prefix", ApiToken._meta.get_field("prefix")))
        .order_by()[:1]
    )  # the prefix is unique: no ORDER BY for .first() to add
)


# --- Staff accounts ---------------------------------------------------------------------
# The admin site and the self-service pages change accounts only through these functions,
# so the rule of who may change whom is checked, and audited, on every path.

ACCOUNT_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "display_name",
    "professional_title",
    "email",
    "mobile_phone",
    "is_active",
)


def account_clinics(user: User) -> list[Clinic]:
    """Every clinic the account belongs to, through any membership, active or not."""
    return list(Clinic.objects.filter(memberships__user=user).distinct().order_by("pk"))


def audit_account_event(
    *,
    actor: User | None,
    user: User,
    action: str,
    clinics: Iterable[Clinic] | None = None,
    changes: Mapping[str, list[Any]] | None = None,
    details: Mapping[str, Any] | None = None,
    actor_label: str | None = None,
) -> None:
    """One event about a staff account in each clinic concerned (by default, each clinic
    the account belongs to). Must run inside the change's transaction."""
    for clinic in account_clinics(user) if clinics is None else clinics:
        audit_record(
            actor=actor,
            clinic=clinic,
            action=action,
            object_type="staff_account",
            object_id=user.pk,
            changes=changes,
            details={"user": user.get_username(), **(details or {})},
            actor_label=actor_label,
        )


def may_change_account(*, actor: User, user: User) -> bool:
    administered = administered_clinic_ids(actor)
    return actor.is_active and policy.may_change_account(
        actor_id=actor.pk,
        actor_is_superuser=administered is None,
        target_id=user.pk,
        target_is_superuser=user.is_superuser,
        administered=administered or set(),
        target_clinics={clinic.pk for clinic in account_clinics(user)},
    )


def _refuse(*, actor: User, user: User, what: str, message: str) -> None:
    """Record a refused account change in every clinic concerned (the account's and the
    actor's), in a transaction of its own so that the refusal stays in the trail, then
    refuse. Call it outside any transaction that the refusal rolls back."""
    clinics = {clinic.pk: clinic for clinic in account_clinics(user)}
    mine = Clinic.objects.filter(pk__in=administered_clinic_ids(actor) or ())
    clinics.update({clinic.pk: clinic for clinic in mine})
    with transaction.atomic():
        audit_account_event(
            actor=actor,
            user=user,
            action=Action.DENY,
            clinics=clinics.values(),
            details={"attempted": what},
        )
    raise PermissionDenied(message)


def require_account_change(*, actor: User, user: User, what: str) -> None:
    if not may_change_account(actor=actor, user=user):
        _refuse(
            actor=actor,
            user=user,
            what=what,
            message="This account also belongs to a clinic you do not administer: only a "
            "deployment superuser or the person themself may change it.",
        )


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed({"password": list(exc.messages)}) from exc


@transaction.atomic
def account_create(
    *, actor: User, username: str, password: str | None, data: Mapping[str, Any] | None = None
) -> User:
    """A new staff account, with no clinic yet; the actor's clinics record its creation."""
    administered = administered_clinic_ids(actor)
    if administered is not None and not administered:
        raise PermissionDenied("Only a clinic administrator or a superuser may add staff.")
    user = User(username=username)
    for field, value in (data or {}).items():
        if field not in ACCOUNT_FIELDS:
            raise ValidationFailed.single(field, "This field cannot be set here.")
        setattr(user, field, value)
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    audit_account_event(
        actor=actor,
        user=user,
        action=Action.CREATE,
        clinics=Clinic.objects.filter(pk__in=administered or ()),
        changes={"username": [None, username]},
    )
    return user


def account_update(*, actor: User, user: User, data: Mapping[str, Any]) -> User:
    """Change an account's details (name, e-mail, active, ...)."""
    require_account_change(actor=actor, user=user, what=", ".join(sorted(data)) or "details")
    return _account_update(actor=actor, user=user, data=data)


@transaction.atomic
def _account_update(*, actor: User, user: User, data: Mapping[str, Any]) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    changes = _apply_fields(user, ACCOUNT_FIELDS, data)
    if changes:
        user.save(update_fields=list(changes))
        audit_account_event(actor=actor, user=user, action=Action.UPDATE, changes=changes)
    return user


def account_password_set(*, actor: User, user: User, password: str | None) -> User:
    """Set (or, with None, disable) an account's password. Every API token of the account
    is revoked; Django's session hash signs its other sessions out."""
    require_account_change(actor=actor, user=user, what="password")
    return _account_password_set(actor=actor, user=user, password=password)


@transaction.atomic
def _account_password_set(*, actor: User, user: User, password: str | None) -> User:
    if password is None:
        user.set_unusable_password()
    else:
        _check_password(password, user)
        user.set_password(password)
    user.save(update_fields=["password"])
    by = "self" if actor.pk == user.pk else "another user"
    audit_account_event(actor=actor, user=user, action=Action.SET_PASSWORD, details={"by": by})
    _tokens_revoke(user=user, actor=actor, reason="password changed")
    return user


def mfa_reset(*, actor: User, user: User) -> None:
    """Remove the account's authenticator and recovery codes: only the person themself or
    a deployment superuser may (a clinic administrator may not)."""
    if not (actor.is_active and (actor.is_superuser or actor.pk == user.pk)):
        _refuse(
            actor=actor,
            user=user,
            what="two-factor reset",
            message="Only the person themself or a deployment superuser may reset two-factor "
            "sign-in.",
        )
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        audit_account_event(
            actor=actor, user=user, action=Action.RESET_MFA, details={"devices_removed": removed}
        )


def _apply_fields(
    obj: Any, fields: tuple[str, ...], data: Mapping[str, object]
) -> dict[str, list[object]]:
    """Set the allowed `fields` from `data` on `obj`, validate it and return the changes
    as {field: [before, after]}; a field outside `fields` is refused by name."""
    before = {f: getattr(obj, f) for f in fields}
    for field, value in data.items():
        if field not in fields:
            raise ValidationFailed.single(field, "This field cannot be set here.")
        setattr(obj, field, value)
    obj.full_clean()
    return {f: [before[f], getattr(obj, f)] for f in fields if before[f] != getattr(obj, f)}
