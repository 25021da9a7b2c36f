"""Pages of patient education: the clinic's articles with their reading grades, the edit
page (a new version), the chart's Education tab (send articles through a patient link),
and the patient's reading page at /r/<token>/education/ (public, no login). Thin: the
education services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common import clock
from ketacare.common.errors import ValidationFailed
from ketacare.consent.services import paragraphs
from ketacare.education import core, selectors, services
from ketacare.education.core import ENGLISH
from ketacare.education.models import Article, EducationSettings
from ketacare.measures import services as links
from ketacare.patients.language import in_patient_language
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import register_tab
from ketacare.web.views.selfreport import _clinic_zone, _private
from ketacare.web.views.selfreport import _refused as refused_page

SECTION = "education"
CHANNELS = [
    ("email", gettext_lazy("Email")),
    ("sms", gettext_lazy("SMS")),
    ("none", gettext_lazy("Show the link on screen only")),
]


class SendForm(forms.Form):
    articles = forms.MultipleChoiceField(
        label=gettext_lazy("Articles"), widget=forms.CheckboxSelectMultiple
    )
    channel = forms.ChoiceField(label=gettext_lazy("Send by"), choices=CHANNELS)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["articles"].choices = choices  # type: ignore[attr-defined]


def _choices(access: ClinicAccess) -> list[tuple[str, str]]:
    """One choice per topic (its English article, named with the languages it comes in):
    the patient gets the topic's article in their own language. An article with no
    English one on its topic (or of the "other" topic) is a choice of its own."""
    listed = services.articles_list(access=access)
    languages: dict[str, list[str]] = {}
    for article, _version in listed:
        if article.topic != Article.Topic.OTHER:
            languages.setdefault(article.topic, []).append(article.get_language_display())
    english = {a.topic for a, _v in listed if a.language == ENGLISH}
    found = []
    for article, version in listed:
        if article.topic == Article.Topic.OTHER:
            found.append((article.slug, f"{version.title} ({article.get_language_display()})"))
        elif article.language == ENGLISH or article.topic not in english:
            names = ", ".join(sorted(str(n) for n in languages[article.topic]))
            found.append((article.slug, f"{version.title} ({names})"))
    return found


def education_tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    rows = []
    for sent in selectors.sends_of(patient=patient):
        link = sent.link
        live = link.revoked_at is None and link.expires_at > clock.now()
        rows.append(
            {
                "sent": sent,
                "url": links.link_url(link) if live else "",
                "fallbacks": services.fallbacks(sent),
            }
        )
    return "web/education/_tab.html", {
        "rows": rows,
        "send_form": SendForm(
            choices=_choices(access), initial={"channel": "email" if patient.email else "none"}
        ),
        "can_send": access.can(Permission.SEND_MEASURE_LINKS) and not patient.is_archived,
        "patient_language": patient.get_preferred_language_display(),
    }


register_tab(SECTION, "Education", education_tab)


@clinic_view
def education_send(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    if request.method != "POST":
        raise Http404("POST only")
    patient_get(access=access, patient_id=patient_id)  # another clinic's patient: 404 first
    form = SendForm(request.POST, choices=_choices(access))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(
                request, f"{form.fields[field].label}: {' '.join(str(e) for e in errors)}"
            )
    else:
        try:
            sent = services.education_send(
                access=access,
                patient_id=patient_id,
                articles=form.cleaned_data["articles"],
                channel=form.cleaned_data["channel"],
            )
        except ValidationFailed as exc:
            flash_failure(request, exc, form)
        else:
            messages.success(request, _("Education link sent."))
            missing = services.fallbacks(sent)
            if missing:
                messages.warning(
                    request,
                    _(
                        "No article in the patient's language (%(language)s) on: %(titles)s. "
                        "Sent in English instead."
                    )
                    % {
                        "language": sent.get_language_display(),
                        "titles": ", ".join(v.title for v in missing),
                    },
                )
    return redirect(
        "patient_chart_section",
        clinic_slug=access.clinic.slug,
        patient_id=patient_id,
        section=SECTION,
    )


# --- the clinic's articles ------------------------------------------------------------------


class SettingsForm(forms.ModelForm):
    class Meta:
        model = EducationSettings
        fields = ["max_grade", "refuse_above"]


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=gettext_lazy(
            'Paragraphs are separated by a blank line; a line starting "## " is a heading; '
            'lines starting "- " make a list. Short sentences and common words.'
        ),
    )
    sources = forms.CharField(
        label=gettext_lazy("Sources (one a line, shown to the patient)"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    change_note = forms.CharField(label=gettext_lazy("What changed"), max_length=300)


@clinic_view
def education_articles(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    articles = services.articles_list(access=access)
    settings_form = SettingsForm(
        request.POST or None, instance=selectors.education_settings_for(access.clinic)
    )
    if request.method == "POST":
        access.require(Permission.MANAGE_PROTOCOLS)
        if settings_form.is_valid():
            try:
                services.settings_update(access=access, **settings_form.cleaned_data)
            except ValidationFailed as exc:
                flash_failure(request, exc, settings_form)
            else:
                messages.success(request, _("Education settings saved."))
                return redirect("education_articles", clinic_slug=access.clinic.slug)
    return render(
        request,
        "web/education/articles.html",
        {
            "access": access,
            "articles": articles,
            "settings": selectors.education_settings_for(access.clinic),
            "settings_form": settings_form,
            "can_manage": access.can(Permission.MANAGE_PROTOCOLS),
        },
        status=422 if request.method == "POST" else 200,
    )


@clinic_view
def education_article_edit(
    request: HttpRequest, access: ClinicAccess, article_id: uuid.UUID
) -> HttpResponse:
    article = selectors.article_get(access=access, article_id=article_id)
    versions = list(article.versions.order_by("-number").select_related("created_by"))
    latest = versions[0]
    setting = selectors.education_settings_for(access.clinic)
    initial = {"title": latest.title, "body": latest.body, "sources": "\n".join(latest.sources)}
    form = ArticleForm(request.POST or None, initial=initial)
    status = 200
    reading = core.readability(latest.title, latest.body, setting.max_grade, article.language)
    if request.method == "POST":
        access.require(Permission.MANAGE_PROTOCOLS)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            reading = core.readability(
                data["title"], data["body"], setting.max_grade, article.language
            )
            try:
                version, reading = services.article_edit(
                    access=access,
                    article_id=article.pk,
                    title=data["title"],
                    body=data["body"],
                    sources=data["sources"].splitlines(),
                    change_note=data["change_note"],
                )
            except ValidationFailed as exc:
                flash_failure(request, exc, form)
            else:
                note = _("Saved as version %(number)s.") % {"number": version.number}
                if reading.ok:
                    messages.success(request, f"{note} {reading.verdict}")
                else:
                    messages.warning(request, f"{note} {reading.verdict}")
                return redirect(
                    "education_article_edit", clinic_slug=access.clinic.slug, article_id=article.pk
                )
    return render(
        request,
        "web/education/article.html",
        {
            "access": access,
            "article": article,
            "versions": versions,
            "latest": latest,
            "reading": reading,
            "paragraphs": paragraphs(latest.body),
            "form": form,
            "can_manage": access.can(Permission.MANAGE_PROTOCOLS),
        },
        status=status,
    )


# --- the patient, through the link ----------------------------------------------------------


def _words() -> dict[str, tuple[int, str, str]]:
    """What a refused education link says."""
    return {
        "invalid": (
            404,
            _("This link does not work"),
            _(
                "The link is not valid. It may have been copied only in part. Please ask the "
                "clinic for a new link."
            ),
        ),
        "expired": (
            410,
            _("This link has expired"),
            _("The time to read this has passed. Please ask the clinic for a new link."),
        ),
        "used": (410, _("This link was used"), _("Please ask the clinic for a new link.")),
        "revoked": (
            410,
            _("This link was cancelled"),
            _("The clinic cancelled this link. Please ask the clinic if you have questions."),
        ),
    }


@_private
def education_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        sent, versions = services.education_read(token=token)
    except links.LinkRefused as exc:
        return refused_page(request, exc, _words())
    context = {
        "sent": sent,
        "link": sent.link,
        "clinic": sent.clinic,
        "articles": [{"version": v, "paragraphs": paragraphs(v.body)} for v in versions],
    }
    with _clinic_zone(sent.link), in_patient_language(sent.patient):
        return render(request, "web/education/patient.html", context)
