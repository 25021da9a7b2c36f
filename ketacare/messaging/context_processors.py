from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ketacare.accounts.models import Membership
from ketacare.messaging.services import undelivered_escalations


def delivery_banner(request: HttpRequest) -> dict[str, Any]:
    """On every page of a clinic, for its staff: escalations of safety alerts that did not
    reach their recipient (web/base.html shows them as a banner)."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("clinic_slug") if match else None
    if not slug or user is None or not user.is_authenticated:
        return {}
    membership = (
        Membership.objects.filter(
            user=user, clinic__slug=slug, is_active=True, clinic__is_active=True
        )
        .select_related("clinic")
        .first()
    )
    if membership is None:  # not this clinic's staff (their page is a 404)
        return {}
    return {"undelivered_escalations": undelivered_escalations(clinic=membership.clinic)}
