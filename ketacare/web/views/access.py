"""The web side of the access helpers: resolve the clinic in the URL or answer 404."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from ketacare.accounts.access import ClinicAccess, clinic_access
from ketacare.api.auth import SESSION_CLINIC_KEY
from ketacare.common.errors import NotFound, PermissionDenied

ClinicView = Callable[..., HttpResponse]


def clinic_view(view: ClinicView) -> Callable[..., HttpResponse]:
    """Give the view a ClinicAccess for the URL's clinic; other clinics are 404."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, clinic_slug: str, **kwargs: Any) -> HttpResponse:
        try:
            access: ClinicAccess = clinic_access(
                user=request.user,  # type: ignore[arg-type]
                clinic_slug=clinic_slug,
            )
            if request.session.get(SESSION_CLINIC_KEY) != clinic_slug:
                request.session[SESSION_CLINIC_KEY] = clinic_slug  # remembered for next login
            return view(request, access, **kwargs)
        except NotFound as exc:
            raise Http404("Not found") from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from exc

    return wrapper
