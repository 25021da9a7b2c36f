"""Staff pages of preparation and aftercare guides: a session's sent guides with
"send now", and the clinic's guide settings and texts. Thin: ketacare.guides decides."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.guides import core, services
from ketacare.guides.models import GuideSend
from ketacare.guides.selectors import choice_for, clinic_texts, guide_settings_for
from ketacare.patients.models import Patient
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view

LABELS = {
    "kind": "Guide",
    "session": "Session",
    "patient": "Patient",
    "channel": "Send by",
    "family": "Form of treatment",
    "language": "Language",
    "text": "Text",
    "preparation_hours_before": "Preparation: hours before the session",
    "aftercare_hours_after": "Aftercare: hours after discharge",
    "fasting_hours": "No food before the session (hours)",
    "arrive_minutes_before": "Arrive before the session (minutes)",
}


FALLBACK_NOTE = (
    "Sent in English: the clinic has no protocol text in the patient's language "
    "(%(language)s). Add it on the preparation and aftercare settings page."
)


def _language_name(send: GuideSend) -> str:
    return str(dict(Patient.Language.choices).get(send.patient.preferred_language, ""))


@clinic_view
def session_guides(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    if request.method == "POST":
        try:
            send = services.guide_send_now(
                access=access,
                patient_id=patient_id,
                session_id=session_id,
                kind=request.POST.get("kind", ""),
                channel=request.POST.get("channel") or None,
            )
        except ValidationFailed as exc:
            flash_failure(request, exc, labels=LABELS)
        else:
            messages.success(request, "Sent.")
            if send.fallback:
                messages.warning(request, _(FALLBACK_NOTE) % {"language": _language_name(send)})
        return redirect(
            "session_guides",
            clinic_slug=access.clinic.slug,
            patient_id=patient_id,
            session_id=session_id,
        )
    found = services.session_guides_view(
        access=access, patient_id=patient_id, session_id=session_id
    )
    return render(
        request,
        "web/guides/session.html",
        {
            "access": access,
            "found": found,
            "session": found.session,
            "patient": found.session.patient,
            "family_label": core.FAMILY_LABELS.get(found.family) if found.family else None,
            "due": [(core.KIND_LABELS[k], found.due[k.value]) for k in core.Kind],
            "kinds": [(k.value, label) for k, label in core.KIND_LABELS.items()],
            "can_send": access.can(Permission.SEND_MEASURE_LINKS),
        },
    )


@clinic_view
def guide_settings_page(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """The clinic's guide timing and texts; every reader sees them, admins edit."""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "text":
                services.text_update(
                    access=access,
                    family=request.POST.get("family", ""),
                    kind=request.POST.get("kind", ""),
                    text=request.POST.get("text", ""),
                    language=request.POST.get("language", "") or core.ENGLISH,
                )
            else:
                services.settings_update(
                    access=access,
                    **{name: _int(request.POST, name) for name in services.SETTING_RANGES},
                )
        except ValidationFailed as exc:
            flash_failure(request, exc, labels=LABELS)
        else:
            messages.success(request, "Saved.")
        return redirect("guide_settings", clinic_slug=access.clinic.slug)
    own = clinic_texts(access.clinic)
    languages = dict(Patient.Language.choices)
    texts = [
        {
            "family": family.value,
            "kind": kind.value,
            "language": language,
            "label": f"{core.FAMILY_LABELS[family]}: {core.KIND_LABELS[kind].lower()} "
            f"({languages[language]})",
            "text": chosen.text,
            "own": (family.value, kind.value, language) in own,
            "fallback": chosen.fallback,
        }
        for family in core.Family
        for kind in core.Kind
        for language in core.LANGUAGES
        for chosen in [choice_for(access.clinic, family, kind, language)]
    ]
    return render(
        request,
        "web/guides/settings.html",
        {
            "access": access,
            "settings": guide_settings_for(access.clinic),
            "fields": [
                (name, LABELS[name], getattr(guide_settings_for(access.clinic), name))
                for name in services.SETTING_RANGES
            ],
            "texts": texts,
            "driving_es": core.DRIVING_SENTENCE_ES,
            "can_edit": access.can(Permission.MANAGE_PROTOCOLS),
        },
    )


def _int(post: QueryDict, name: str) -> int | None:
    raw = str(post.get(name, "")).strip()
    return int(raw) if raw.isdigit() else None
