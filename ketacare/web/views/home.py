from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.access import memberships_of
from ketacare.api.auth import SESSION_CLINIC_KEY


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Go to the last clinic used, the only clinic, or let the user choose one."""
    memberships = memberships_of(request.user)  # type: ignore[arg-type]
    slugs = [m.clinic.slug for m in memberships]
    last = request.session.get(SESSION_CLINIC_KEY)
    if last in slugs or len(slugs) == 1:
        return redirect("clinic_home", clinic_slug=last if last in slugs else slugs[0])
    return render(request, "web/choose_clinic.html", {"memberships": memberships})


@login_required
@require_POST
def clinic_switch(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("clinic", "")
    if slug not in {m.clinic.slug for m in memberships_of(request.user)}:  # type: ignore[arg-type]
        raise Http404("Not found")
    request.session[SESSION_CLINIC_KEY] = slug
    return redirect("clinic_home", clinic_slug=slug)
