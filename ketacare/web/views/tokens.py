"""A page for staff to create and revoke their own API tokens in a clinic."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts import services
from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import ApiToken
from ketacare.common.errors import ValidationFailed
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import add_errors


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    # The upper limit (KETACARE_API_TOKEN_MAX_DAYS) is the service's check.
    expires_in_days = forms.IntegerField(
        min_value=1, initial=lambda: settings.KETACARE_API_TOKEN_DAYS
    )


@clinic_view
def token_list(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.api_token_create(
                access=access,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValidationFailed as exc:
            add_errors(form, exc)
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(user=access.user, clinic=access.clinic)
    return render(
        request,
        "web/tokens.html",
        {"access": access, "form": form, "tokens": tokens, "new_token": new_token},
    )


@require_POST
@clinic_view
def token_revoke(request: HttpRequest, access: ClinicAccess, token_id: int) -> HttpResponse:
    services.api_token_revoke(access=access, token_id=token_id)
    return redirect("token_list", clinic_slug=access.clinic.slug)
