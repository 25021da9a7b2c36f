"""The clinic's session settings: each threshold and choice with its value in force, its
cited default and the basis of that default; editable with `manage_protocols`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.treatment import rules, services
from ketacare.treatment.models import ClinicSessionSettings
from ketacare.web.views.access import clinic_view

DEFAULTS = ClinicSessionSettings()  # an unsaved row holds the cited defaults


def default_of(name: str) -> Any:
    return getattr(DEFAULTS, name)


class SessionSettingsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in rules.SETTING_SPECS:
            if spec.name in rules.FLAG_SETTINGS:
                self.fields[spec.name] = forms.BooleanField(required=False, label=spec.label)
            else:
                self.fields[spec.name] = forms.IntegerField(
                    min_value=spec.low, max_value=spec.high, label=f"{spec.label} ({spec.unit})"
                )


def _rows(form: SessionSettingsForm) -> list[dict[str, Any]]:
    return [
        {"field": form[spec.name], "spec": spec, "default": default_of(spec.name)}
        for spec in rules.SETTING_SPECS
    ]


@clinic_view
def session_settings_page(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    access.require(Permission.VIEW_CHART)
    current = services.session_settings(access.clinic)
    can_edit = access.can(Permission.MANAGE_PROTOCOLS)
    if request.method == "POST":
        form = SessionSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.settings_save(access=access, data=form.cleaned_data)
            except ValidationFailed as exc:
                for name, msgs in exc.errors.items():
                    form.add_error(name if name in form.fields else None, msgs)
            else:
                messages.success(request, "Session settings saved.")
                return redirect("session_settings", clinic_slug=access.clinic.slug)
    else:
        form = SessionSettingsForm(
            initial={spec.name: getattr(current, spec.name) for spec in rules.SETTING_SPECS}
        )
    return render(
        request,
        "web/sessions/settings.html",
        {
            "access": access,
            "form": form,
            "rows": _rows(form),
            "can_edit": can_edit,
            "current": current,
            "esketamine_observation": rules.RULE_SOURCES["esketamine_min_observation"],
        },
        status=422 if form.errors else 200,
    )
