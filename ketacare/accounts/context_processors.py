from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ketacare.accounts.access import memberships_of
from ketacare.accounts.policy import ROLE_PERMISSIONS, Role


def clinic_context(request: HttpRequest) -> dict[str, Any]:
    """The clinic switcher: the user's memberships and the clinic in the URL."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = memberships_of(user)
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("clinic_slug") if match else None
    current = next((m for m in memberships if m.clinic.slug == slug), None)
    allowed = sorted(p.value for p in ROLE_PERMISSIONS[Role(current.role)]) if current else []
    return {
        "memberships": memberships,
        "current_membership": current,
        "current_clinic": current.clinic if current else None,
        "clinic_perms": allowed,
    }
