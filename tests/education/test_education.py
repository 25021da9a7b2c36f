"""Education through services, the API and the pages: versioning, the reading-grade
setting, audit, sending through a patient link, the patient's page, and 404 for another
clinic's records."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common import clock
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.education import services
from ketacare.education.models import Article, ArticleVersion, EducationSend
from ketacare.measures.models import SelfReportLink
from ketacare.measures.services import link_revoke, link_token
from ketacare.messaging.models import OutboundMessage as Message
from ketacare.patients.models import Patient
from tests.api.world import member
from tests.education.conftest import Team
from tests.factories import ClinicFactory
from tests.web_measures.conftest import new_patient

HARD = (
    "Esketamine administration necessitates comprehensive institutional monitoring "
    "encompassing hemodynamic parameters, respiratory sufficiency and dissociative "
    "phenomenology, notwithstanding considerable interindividual pharmacokinetic variability."
)


def api(access: ClinicAccess) -> Client:
    client = Client(headers={"X-Clinic": access.clinic.slug})
    client.force_login(access.user)
    return client


def web(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def _iv(access: ClinicAccess) -> tuple[Article, ArticleVersion]:
    return next(
        (a, v)
        for a, v in services.articles_list(access=access)
        if a.topic == "iv" and a.language == "en"
    )


def test_defaults_are_seeded_once_at_grade_8_or_lower(team: Team) -> None:
    listed = services.articles_list(access=team.nurse)
    assert len(listed) == 12
    assert sorted(a.language for a, _v in listed) == ["en"] * 6 + ["es"] * 6
    assert all(v.number == 1 and v.grade <= 8 for _a, v in listed)
    services.articles_list(access=team.nurse)
    assert Article.objects.filter(clinic=team.clinic).count() == 12


def test_an_edit_is_a_new_audited_version_and_old_versions_never_change(team: Team) -> None:
    article, first = _iv(team.admin)
    version, reading = services.article_edit(
        access=team.admin,
        article_id=article.pk,
        title=first.title,
        body=first.body + "\n\nCall us if you have questions.",
        sources=first.sources,
        change_note="Added a line",
    )
    assert version.number == 2 and reading.ok and version.grade <= 8
    assert version.created_by == team.admin.user
    event = AuditEvent.objects.get(object_type="articleversion", object_id=str(version.pk))
    assert event.changes["number"] == [1, 2]
    with pytest.raises(ValueError):
        first.save()
    with pytest.raises(ValidationFailed) as same:
        services.article_edit(
            access=team.admin,
            article_id=article.pk,
            title=version.title,
            body=version.body,
            sources=version.sources,
        )
    assert "body" in same.value.errors


def test_an_edit_above_the_grade_is_refused_or_warned_as_the_clinic_chooses(team: Team) -> None:
    article, _first = _iv(team.admin)
    with pytest.raises(ValidationFailed) as refused:
        services.article_edit(
            access=team.admin, article_id=article.pk, title="X", body=HARD, sources=["A source"]
        )
    assert "above the clinic's limit of grade 8" in refused.value.errors["body"][0]
    services.settings_update(access=team.admin, max_grade=8, refuse_above=False)
    version, reading = services.article_edit(
        access=team.admin, article_id=article.pk, title="X", body=HARD, sources=["A source"]
    )
    assert not reading.ok and version.grade > 8
    with pytest.raises(ValidationFailed) as bad:
        services.settings_update(access=team.admin, max_grade=40, refuse_above=True)
    assert "max_grade" in bad.value.errors


def test_only_managers_edit_and_another_clinic_gets_404(team: Team) -> None:
    article, _first = _iv(team.admin)
    with pytest.raises(PermissionDenied):
        services.article_edit(
            access=team.front_desk, article_id=article.pk, title="T", body="B.", sources=["S"]
        )
    other = member(ClinicFactory.create(), Role.CLINIC_ADMIN)
    with pytest.raises(NotFound):
        services.article_edit(
            access=other, article_id=article.pk, title="T", body="B.", sources=["S"]
        )
    with pytest.raises(NotFound):
        services.education_send(
            access=member(other.clinic, Role.NURSE),
            patient_id=team.patient.pk,
            articles=[article.pk],
            channel="none",
        )
    mine = member(other.clinic, Role.NURSE)
    with pytest.raises(NotFound):  # an article of another clinic, for one's own patient
        services.education_send(
            access=mine,
            patient_id=new_patient(mine, mrn="O-1").pk,
            articles=[article.pk],
            channel="none",
        )


def test_send_pins_the_versions_and_the_patient_reads_them_as_sent(team: Team) -> None:
    article, first = _iv(team.admin)
    sent = services.education_send(
        access=team.nurse, patient_id=team.patient.pk, articles=[article.pk], channel="email"
    )
    assert sent.link.purpose == SelfReportLink.Purpose.EDUCATION
    message = Message.objects.filter(patient_id=team.patient.pk).latest("created_at")
    assert "reading about your treatment" in message.body and link_token(sent.link) in message.body
    services.article_edit(
        access=team.admin,
        article_id=article.pk,
        title="A new title",
        body=first.body,
        sources=first.sources,
    )
    token = link_token(sent.link)
    page = Client().get(reverse("education_link", kwargs={"token": token}))
    assert page.status_code == 200
    text = page.content.decode()
    assert first.title in text and "A new title" not in text
    assert "clinical.md" not in text and "Where this comes from" in text
    sent = EducationSend.objects.get(pk=sent.pk)
    assert sent.open_count == 1 and sent.first_opened_at is not None
    opened = AuditEvent.objects.filter(object_type="educationsend", object_id=str(sent.pk))
    assert {e.action for e in opened} == {"create", "view"}
    # the generic patient link address leads to the reading page
    generic = Client().get(reverse("selfreport", kwargs={"token": token}))
    assert generic.status_code == 302 and generic["Location"].endswith("/education/")


def test_a_revoked_or_wrong_link_is_refused(team: Team) -> None:
    article, _first = _iv(team.admin)
    sent = services.education_send(
        access=team.nurse, patient_id=team.patient.pk, articles=[article.pk], channel="none"
    )
    link_revoke(access=team.nurse, link_id=sent.link.pk)
    token = link_token(sent.link)
    assert Client().get(reverse("education_link", kwargs={"token": token})).status_code == 410
    assert Client().get(reverse("education_link", kwargs={"token": "nope"})).status_code == 404


def test_sending_needs_an_article(team: Team) -> None:
    with pytest.raises(ValidationFailed) as none:
        services.education_send(
            access=team.nurse, patient_id=team.patient.pk, articles=[], channel="none"
        )
    assert "articles" in none.value.errors


def test_api_list_get_version_and_send(team: Team) -> None:
    client = api(team.admin)
    listed = client.get("/api/v1/education/articles").json()
    assert len(listed) == 12 and all(a["latest_version"]["grade"] <= 8 for a in listed)
    assert {a["language"] for a in listed} == {"en", "es"}
    iv = next(a for a in listed if a["topic"] == "iv" and a["language"] == "en")
    one = client.get(f"/api/v1/education/articles/{iv['id']}")
    assert one.status_code == 200 and one.json()["slug"] == "iv-ketamine"
    latest = iv["latest_version"]
    made = client.post(
        f"/api/v1/education/articles/{iv['id']}/versions",
        {
            "title": latest["title"],
            "body": latest["body"] + "\n\nAsk us anything.",
            "sources": latest["sources"],
            "change_note": "More",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["number"] == 2 and made.json()["within_grade"] is True
    hard = client.post(
        f"/api/v1/education/articles/{iv['id']}/versions",
        {"title": "X", "body": HARD, "sources": ["S"]},
        content_type="application/json",
    )
    assert hard.status_code == 422 and "body" in hard.content.decode()
    sent = api(team.nurse).post(
        f"/api/v1/patients/{team.patient.pk}/education",
        {"articles": [iv["id"]], "channel": "none"},
        content_type="application/json",
    )
    assert sent.status_code == 201 and "/r/" in sent.json()["url"]
    other = api(member(ClinicFactory.create(), Role.CLINIC_ADMIN))
    assert other.get(f"/api/v1/education/articles/{iv['id']}").status_code == 404
    assert (
        other.post(
            f"/api/v1/education/articles/{iv['id']}/versions",
            {"title": "X", "body": "Y.", "sources": ["S"]},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_pages_list_edit_and_send_from_the_chart(team: Team) -> None:
    admin = web(team.admin)
    slug = team.clinic.slug
    listing = admin.get(reverse("education_articles", args=[slug]))
    assert listing.status_code == 200
    assert "Reading grade" in listing.content.decode()
    article, first = _iv(team.admin)
    edit_url = reverse("education_article_edit", args=[slug, article.pk])
    page = admin.get(edit_url)
    assert page.status_code == 200
    assert "Reading level (Flesch-Kincaid): grade" in page.content.decode()
    refused = admin.post(
        edit_url, {"title": "X", "body": HARD, "sources": "S", "change_note": "Hard"}
    )
    assert refused.status_code == 422
    saved = admin.post(
        edit_url,
        {
            "title": first.title,
            "body": first.body + "\n\nAsk us.",
            "sources": "\n".join(first.sources),
            "change_note": "Ask us",
        },
    )
    assert saved.status_code == 302
    nurse = web(team.nurse)
    chart = reverse("patient_chart_section", args=[slug, team.patient.pk, "education"])
    tab = nurse.get(chart)
    assert tab.status_code == 200 and "Send education" in tab.content.decode()
    sent = nurse.post(
        reverse("education_send", args=[slug, team.patient.pk]),
        {"articles": [article.slug], "channel": "none"},
    )
    assert sent.status_code == 302
    assert EducationSend.objects.filter(patient=team.patient).count() == 1
    assert "data-education-url" in nurse.get(chart).content.decode()
    other = web(member(ClinicFactory.create(slug="clinic-z"), Role.CLINIC_ADMIN))
    assert (
        other.get(reverse("education_article_edit", args=["clinic-z", article.pk])).status_code
        == 404
    )


# --- Spanish ---------------------------------------------------------------------------------


def _prefers(patient: Patient, language: str) -> None:
    Patient.objects.filter(pk=patient.pk).update(preferred_language=language)


def test_a_spanish_speaking_patient_gets_the_spanish_articles(team: Team) -> None:
    _prefers(team.patient, "es")
    sent = services.education_send(
        access=team.nurse,
        patient_id=team.patient.pk,
        articles=["iv-ketamine", "esketamine-nasal-spray"],
        channel="none",
    )
    assert sent.language == "es"
    versions = services.pinned_versions(sent)
    assert {v.article.slug for v in versions} == {"iv-ketamine-es", "esketamine-nasal-spray-es"}
    assert services.fallbacks(sent) == []
    page = Client().get(reverse("education_link", kwargs={"token": link_token(sent.link)}))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Ketamina por suero" in text and "Ketamine by drip" not in text
    assert 'lang="es"' in text
    event = AuditEvent.objects.get(
        object_type="educationsend", object_id=str(sent.pk), action="create"
    )
    assert event.details["language"] == "es" and event.details["not_in_language"] == []


def test_an_english_speaking_patient_gets_english_even_if_staff_pick_the_spanish(
    team: Team,
) -> None:
    _prefers(team.patient, "en")
    sent = services.education_send(
        access=team.nurse,
        patient_id=team.patient.pk,
        articles=["iv-ketamine-es", "iv-ketamine", "oral-ketamine"],
        channel="none",
    )
    assert sent.language == "en"
    assert {v.article.slug for v in services.pinned_versions(sent)} == {
        "iv-ketamine",
        "oral-ketamine",
    }


def test_a_topic_with_no_spanish_article_is_sent_in_english_and_staff_are_told(
    team: Team,
) -> None:
    _prefers(team.patient, "es")
    services.articles_list(access=team.nurse)  # seed
    Article.objects.filter(clinic=team.clinic, slug="oral-ketamine-es").update(
        retired_at=clock.now()
    )
    sent = services.education_send(
        access=team.nurse,
        patient_id=team.patient.pk,
        articles=["oral-ketamine", "ketamine-assisted-psychotherapy"],
        channel="none",
    )
    slugs = {v.article.slug for v in services.pinned_versions(sent)}
    assert slugs == {"oral-ketamine", "ketamine-assisted-psychotherapy-es"}
    assert [v.article.slug for v in services.fallbacks(sent)] == ["oral-ketamine"]
    # the chart's tab says so
    tab = web(team.nurse).get(
        reverse("patient_chart_section", args=[team.clinic.slug, team.patient.pk, "education"])
    )
    text = tab.content.decode()
    assert "data-fallback" in text and "sent in English" in text
    # and the API
    posted = api(team.nurse).post(
        f"/api/v1/patients/{team.patient.pk}/education",
        {"articles": ["oral-ketamine"], "channel": "none"},
        content_type="application/json",
    )
    assert posted.status_code == 201
    assert posted.json()["language"] == "es"
    assert posted.json()["not_in_language"] == ["oral-ketamine"]


def test_the_chart_form_offers_one_choice_per_topic_and_sending_warns_of_english(
    team: Team,
) -> None:
    _prefers(team.patient, "es")
    client = web(team.nurse)
    tab = client.get(
        reverse("patient_chart_section", args=[team.clinic.slug, team.patient.pk, "education"])
    )
    text = tab.content.decode()
    assert text.count('name="articles"') == 6
    assert "English, Spanish" in text and "data-patient-language" in text
    services.articles_list(access=team.nurse)
    Article.objects.filter(clinic=team.clinic, slug="iv-ketamine-es").update(retired_at=clock.now())
    posted = client.post(
        reverse("education_send", args=[team.clinic.slug, team.patient.pk]),
        {"articles": ["iv-ketamine"], "channel": "none"},
        follow=True,
    )
    assert "Sent in English instead" in posted.content.decode()


def test_a_spanish_edit_is_graded_with_crawford(team: Team) -> None:
    services.articles_list(access=team.admin)
    article = Article.objects.get(clinic=team.clinic, slug="iv-ketamine-es")
    first = article.versions.get()
    version, reading = services.article_edit(
        access=team.admin,
        article_id=article.pk,
        title=first.title,
        body=first.body + "\n\nPregunte lo que quiera.",
        sources=first.sources,
    )
    assert reading.ok and reading.language == "es" and "Crawford" in reading.verdict
    assert float(version.grade) <= 8
    hard = (
        "La administración de esketamina requiere una monitorización institucional "
        "exhaustiva que comprende parámetros hemodinámicos, suficiencia respiratoria y "
        "fenomenología disociativa, no obstante la considerable variabilidad "
        "farmacocinética interindividual observada en investigaciones multicéntricas."
    )
    with pytest.raises(ValidationFailed) as refused:
        services.article_edit(
            access=team.admin, article_id=article.pk, title="X", body=hard, sources=["S"]
        )
    assert "Crawford" in str(refused.value.errors["body"])


def test_the_articles_page_lists_each_article_with_its_language(team: Team) -> None:
    page = web(team.admin).get(reverse("education_articles", args=[team.clinic.slug]))
    text = page.content.decode()
    assert text.count('data-language="es"') == 6 and text.count('data-language="en"') == 6
    assert "Crawford" in text
