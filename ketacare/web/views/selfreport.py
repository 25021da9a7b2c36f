"""The patient's self-report pages at /r/<token>/: public, no login, no JavaScript needed.

One questionnaire per page. "Save and finish later" keeps the answers on the link;
"Next" checks that every question of the page is answered; on the last page "Submit"
stores every questionnaire at once and uses the link up. Crisis resources show on the
page rendered after an answer that raises a suicidality flag is saved (and at once,
with script, when it is chosen). Thin: the services decide; these pages show.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from ketacare.common.errors import ValidationFailed
from ketacare.measures import Instrument, get_instrument
from ketacare.measures import services as measures
from ketacare.measures.models import SelfReportLink
from ketacare.patients.language import request_language
from ketacare.web.views.measures import (
    Answer,
    answers_from_post,
    item_errors,
    item_views,
    missing_items,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

REFUSED: dict[str, tuple[int, StrOrPromise, StrOrPromise]] = {
    "invalid": (
        404,
        gettext_lazy("This link does not work"),
        gettext_lazy(
            "The link is not valid. It may have been copied incompletely. Please contact "
            "the clinic for a new link."
        ),
    ),
    "expired": (
        410,
        gettext_lazy("This link has expired"),
        gettext_lazy(
            "The time to answer this questionnaire has passed. Nothing was sent. Please "
            "contact the clinic if you would like a new link."
        ),
    ),
    "used": (
        410,
        gettext_lazy("Already answered"),
        gettext_lazy(
            "This questionnaire has already been answered, so your answers are with the "
            "clinic. Nothing more was saved. If you think this is wrong, please contact "
            "the clinic."
        ),
    ),
    "revoked": (
        410,
        gettext_lazy("This link was cancelled"),
        gettext_lazy(
            "The clinic cancelled this link, so it can no longer be answered. Nothing was "
            "saved. Please contact the clinic if you have questions."
        ),
    ),
}


def _refused(
    request: HttpRequest,
    exc: measures.LinkRefused,
    wording: Mapping[str, tuple[int, StrOrPromise, StrOrPromise]] = REFUSED,
) -> HttpResponse:
    status, title, message = wording.get(exc.reason, wording["invalid"])
    context = {
        "title": title,
        "message": message,
        "reason": exc.reason,
        "link": exc.link,
        "clinic": exc.link.clinic if exc.link else None,
    }
    with _clinic_zone(exc.link):
        return render(request, "web/selfreport/refused.html", context, status=status)


def _clinic_zone(link: SelfReportLink | None) -> timezone.override:
    """Show times in the link's clinic's zone (the page has no clinic in its URL)."""
    return timezone.override(zoneinfo.ZoneInfo(link.clinic.time_zone) if link else None)


def _private(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The token is a bearer secret: never cached, never sent on as a Referer, never
    indexed."""

    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The whole page, its errors included, speaks the patient's language.
        language = measures.link_language(kwargs.get("token", "")) or request_language(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        response["Referrer-Policy"] = (
            "same-origin"  # no token leaks off-site; same-origin POSTs keep their Origin for CSRF
        )
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _active_language() -> str:
    return (translation.get_language() or "en")[:2]


def as_read(code: str) -> Instrument:
    """The questionnaire in the active language where a validated translation is shipped,
    else in English (the page then says so)."""
    return get_instrument(code).in_language(_active_language())


def _answers(link: SelfReportLink, code: str) -> dict[int, Answer]:
    return dict(enumerate(measures.link_answers(link, code), start=1))


def _first_incomplete(link: SelfReportLink) -> int | None:
    """The 1-based position of the first questionnaire with unanswered questions."""
    for position, code in enumerate(link.instruments, start=1):
        if missing_items(get_instrument(code), _answers(link, code)):
            return position
    return None


def _crisis(link: SelfReportLink) -> bool:
    return any(measures.findings_in_draft(link, code) for code in link.instruments)


def _page(
    request: HttpRequest,
    link: SelfReportLink,
    token: str,
    step: int,
    *,
    errors: Mapping[int, str] | None = None,
    messages: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    code = link.instruments[step - 1]
    instrument: Instrument = as_read(code)
    current = _answers(link, code)
    items = item_views(
        link.clinic,
        instrument,
        current,
        errors=errors,
        crisis=measures.crisis_items(link.clinic, code),
    )
    answered = sum(1 for item in instrument.items if current.get(item.number) is not None)
    missing = [item for item in items if item.error]
    context = {
        "link": link,
        "clinic": link.clinic,
        "instrument": instrument,
        "english_only": instrument.language != _active_language(),
        "please_answer": _("Please answer this question."),
        "items": items,
        "step": step,
        "steps": len(link.instruments),
        "is_last": step == len(link.instruments),
        "answered": answered,
        "total": len(instrument.items),
        "missing": missing,
        "messages_list": messages or [],
        "show_crisis": _crisis(link),
        "crisis_text": measures.crisis_text_for(link.clinic),
        "action": reverse("selfreport", kwargs={"token": token}),
    }
    with _clinic_zone(link):
        return render(request, "web/selfreport/form.html", context, status=status)


def _step_of(raw: Any, link: SelfReportLink) -> int | None:
    text = str(raw or "")
    if text.isdigit() and 1 <= int(text) <= len(link.instruments):
        return int(text)
    return None


# Where a link that is not a questionnaire opens (the address sent is always /r/<token>/).
PAGE_OF_PURPOSE = {
    str(SelfReportLink.Purpose.CONSENT): "consent_link",
    str(SelfReportLink.Purpose.PATIENT_VIEW): "portal",
    str(SelfReportLink.Purpose.SESSION_GUIDE): "guide_link",
    str(SelfReportLink.Purpose.EDUCATION): "education_link",
}


@_private
def selfreport(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = measures.link_open(token=token)
    except measures.LinkRefused as exc:
        return _refused(request, exc)
    if link.purpose in PAGE_OF_PURPOSE:
        return redirect(PAGE_OF_PURPOSE[link.purpose], token=token)
    if request.method != "POST":
        step = _step_of(request.GET.get("step"), link) or _first_incomplete(link) or 1
        return _page(request, link, token, step)
    return _post(request, link, token)


def _post(request: HttpRequest, link: SelfReportLink, token: str) -> HttpResponse:
    step = _step_of(request.POST.get("step"), link) or 1
    code = link.instruments[step - 1]
    instrument = get_instrument(code)
    given, errors = answers_from_post(instrument, request.POST)
    action = request.POST.get("action", "next")
    try:
        link = measures.link_save_draft(token=token, instrument=code, answers=given)
    except measures.LinkRefused as exc:
        return _refused(request, exc)
    except ValidationFailed as exc:
        per_item, _other = item_errors(exc)
        errors = {**errors, **per_item}
    if errors:
        return _page(request, link, token, step, errors=errors, status=422)

    if action == "save":
        context = {
            "link": link,
            "clinic": link.clinic,
            "show_crisis": _crisis(link),
            "crisis_text": measures.crisis_text_for(link.clinic),
            "resume": reverse("selfreport", kwargs={"token": token}) + f"?step={step}",
        }
        with _clinic_zone(link):
            return render(request, "web/selfreport/saved.html", context)
    if action == "back":
        return _to_step(token, max(step - 1, 1))

    missing = missing_items(instrument, _answers(link, code))
    if missing:
        return _page(
            request,
            link,
            token,
            step,
            errors={item.number: _("Please answer this question.") for item in missing},
            status=422,
        )
    if step < len(link.instruments):
        return _to_step(token, step + 1)
    earlier = _first_incomplete(link)
    if earlier is not None:
        unanswered = missing_items(
            get_instrument(link.instruments[earlier - 1]),
            _answers(link, link.instruments[earlier - 1]),
        )
        return _page(
            request,
            link,
            token,
            earlier,
            errors={item.number: _("Please answer this question.") for item in unanswered},
            messages=[_("Some questions on this page still need an answer before you submit.")],
            status=422,
        )
    return _submit(request, link, token, step)


def _submit(request: HttpRequest, link: SelfReportLink, token: str, step: int) -> HttpResponse:
    try:
        recorded = measures.link_submit(token=token)
    except measures.LinkRefused as exc:
        return _refused(request, exc)
    except ValidationFailed as exc:
        per_item, other = item_errors(exc)
        return _page(request, link, token, step, errors=per_item, messages=other, status=422)
    context = {
        "link": link,
        "clinic": link.clinic,
        "show_crisis": any(r.alerts for r in recorded),
        "crisis_text": measures.crisis_text_for(link.clinic),
    }
    with _clinic_zone(link):
        return render(request, "web/selfreport/done.html", context)


def _to_step(token: str, step: int) -> HttpResponse:
    return redirect(reverse("selfreport", kwargs={"token": token}) + f"?step={step}")
