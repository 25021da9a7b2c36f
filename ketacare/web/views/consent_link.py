"""The patient's consent pages at /r/<token>/consent/: public, no login; the page works
without JavaScript (the drawn signature is an optional addition to the typed name).

Read the document, answer the understanding check (wrong answers are explained, and all
must be right to sign), sign, see the signed PDF, and withdraw later through the same
link. Thin: the consent services decide."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.consent import services
from ketacare.consent.models import EConsent
from ketacare.measures import services as links
from ketacare.web.views.selfreport import _clinic_zone, _private
from ketacare.web.views.selfreport import _refused as refused_page


def _words() -> dict[str, tuple[int, str, str]]:
    """What a refused consent link says (the questionnaire link's wording, for consent)."""
    return {
        "invalid": (
            404,
            _("This link does not work"),
            _(
                "The link is not valid. It may have been copied incompletely. Please contact "
                "the clinic for a new link."
            ),
        ),
        "expired": (
            410,
            _("This link has expired"),
            _(
                "The time to read and sign this consent form has passed. Nothing was saved. "
                "Please contact the clinic if you would like a new link, or to withdraw a "
                "consent you signed."
            ),
        ),
        "used": (410, _("This link was used"), _("Please contact the clinic for a new link.")),
        "revoked": (
            410,
            _("This link was cancelled"),
            _(
                "The clinic cancelled this link, so it no longer opens the consent form. "
                "Please contact the clinic if you have questions."
            ),
        ),
    }


def _refused(request: HttpRequest, exc: links.LinkRefused) -> HttpResponse:
    return refused_page(request, exc, _words())


def _chosen(request: HttpRequest, count: int) -> list[int | None]:
    found: list[int | None] = []
    for n in range(1, count + 1):
        raw = str(request.POST.get(f"q{n}", ""))
        found.append(int(raw) if raw.isdigit() else None)
    return found


def _render(
    request: HttpRequest,
    econsent: EConsent,
    token: str,
    *,
    marked: list[Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    questions = services.questions_of(econsent.version)
    views = []
    for n, q in enumerate(questions):
        mark = marked[n] if marked else None
        views.append(
            {
                "text": q.text,
                "explanation": q.explanation,
                "wrong": mark is not None and not mark.right,
                "options": [
                    {"text": o, "checked": mark is not None and mark.chosen == i}
                    for i, o in enumerate(q.options)
                ],
            }
        )
    context = {
        "econsent": econsent,
        "version": econsent.version,
        "link": econsent.link,
        "clinic": econsent.clinic,
        "token": token,
        "paragraphs": services.paragraphs(econsent.version.body),
        "questions": views,
        "wrong": sum(1 for v in views if v["wrong"]),
        "check_passed": econsent.check_passed_at is not None,
        "errors": errors or {},
    }
    with _clinic_zone(econsent.link):
        return render(request, "web/consent/patient.html", context, status=status)


@_private
def consent_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        econsent = services.econsent_open(token=token)
    except links.LinkRefused as exc:
        return _refused(request, exc)
    if request.method != "POST":
        return _render(request, econsent, token)
    action = request.POST.get("action", "")
    try:
        if action == "check":
            chosen = _chosen(request, len(econsent.version.questions))
            marked = services.consent_check(token=token, chosen=chosen)
            if not all(m.right for m in marked):
                econsent = services.econsent_open(token=token)
                return _render(request, econsent, token, marked=marked, status=422)
        elif action == "sign":
            paths = str(request.POST.get("signature", "")).split("|")
            services.consent_sign(
                token=token,
                typed_name=str(request.POST.get("typed_name", "")),
                signature_paths=paths,
            )
        elif action == "withdraw":
            if request.POST.get("confirm") != "yes":
                raise ValidationFailed.single(
                    "reason", _("Tick the box to confirm that you want to withdraw.")
                )
            services.consent_withdraw(token=token, reason=str(request.POST.get("reason", "")))
    except links.LinkRefused as exc:
        return _refused(request, exc)
    except ValidationFailed as exc:
        errors = {field: " ".join(msgs) for field, msgs in exc.errors.items()}
        econsent = services.econsent_open(token=token)
        return _render(request, econsent, token, errors=errors, status=422)
    return redirect("consent_link", token=token)


@_private
def consent_link_pdf(request: HttpRequest, token: str) -> HttpResponse:
    try:
        econsent, data = services.consent_pdf_for_patient(token=token)
    except links.LinkRefused as exc:
        return _refused(request, exc)
    except NotFound:
        return redirect("consent_link", token=token)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consent-{econsent.pk}.pdf"'
    return response
