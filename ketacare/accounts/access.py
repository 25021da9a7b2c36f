"""Access helpers: resolve what a user may reach, answering 404 for anything else.

Like healthchecks' _get_check_for_user: a clinic the user is not a member of is
indistinguishable from one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Subquery

from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Permission, Role, can
from ketacare.common.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class ClinicAccess:
    """A user acting in one clinic with the role their membership gives them there."""

    user: User
    clinic: Clinic
    role: Role

    def can(self, permission: Permission) -> bool:
        return can(self.role, permission)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"A {self.role.label.lower()} may not {permission.value.replace('_', ' ')}."
            )


def memberships_of(user: User) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, is_active=True, clinic__is_active=True)
        .select_related("clinic")
        .order_by("clinic__name")
    )


def _live_memberships() -> QuerySet[Membership]:
    """The memberships that give access: active, in an active clinic."""
    return Membership.objects.filter(is_active=True, clinic__is_active=True)


def _access_where(user: User, **clinic: Any) -> ClinicAccess:
    membership = _live_memberships().filter(user=user, **clinic).select_related("clinic").first()
    if membership is None:
        raise NotFound("clinic")
    return access_with_role(user, membership.clinic, membership.role)


def access_with_role(user: User, clinic: Clinic | None, role: str | None) -> ClinicAccess:
    """The access a live membership gives (its role, read with the user and the clinic in
    one query: `live_membership_role`), else NotFound."""
    if clinic is None or not clinic.is_active or not role or not user.is_active:
        raise NotFound("clinic")
    return ClinicAccess(user=user, clinic=clinic, role=Role(role))


def live_membership_role(user: Any, clinic: Any) -> Subquery:
    """The role of `user`'s active membership of `clinic` (both may be OuterRefs), as a
    subquery: a read that finds the user and the clinic gets the role in the same query.
    The clinic's own `is_active` is read with the clinic (access_with_role checks it), so
    the subquery joins nothing; one membership per user and clinic, so nothing to sort.
    Every API request with a token plans it: 0.2 ms less planning than with the join."""
    return Subquery(
        Membership.objects.filter(user=user, clinic=clinic, is_active=True)
        .order_by()
        .values("role")[:1]
    )


def clinic_access(*, user: User, clinic_slug: str) -> ClinicAccess:
    return _access_where(user, clinic__slug=clinic_slug)


def clinic_access_by_id(*, user: User, clinic_id: int) -> ClinicAccess:
    return _access_where(user, clinic_id=clinic_id)


def administered_clinic_ids(user: Any) -> set[int] | None:
    """Clinic ids the user may manage staff for; None means all (a deployment superuser)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    return {
        m.clinic_id
        for m in Membership.objects.filter(user=user, is_active=True, clinic__is_active=True)
        if can(m.role, Permission.MANAGE_STAFF)
    }
