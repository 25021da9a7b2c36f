"""Staff pages: a session's sent guides and "send now"; the clinic's guide settings."""

from __future__ import annotations

from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.guides.models import GuideSend, GuideText
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession
from tests.guides.conftest import Team, book


def _client(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def _url(team: Team, session: TreatmentSession) -> str:
    return f"/c/{team.clinic.slug}/patients/{team.patient.pk}/sessions/{session.pk}/guides/"


def test_staff_send_a_guide_now_and_see_it_listed(team: Team) -> None:
    session = book(team)
    client = _client(team.nurse)
    page = client.get(_url(team, session))
    assert page.status_code == 200 and "Nothing sent yet." in page.content.decode()
    answer = client.post(_url(team, session), {"kind": "preparation", "channel": "email"})
    assert answer.status_code == 302
    [send] = GuideSend.objects.all()
    assert send.sent_by == team.nurse.user and send.key == ""
    listed = client.get(_url(team, session)).content.decode()
    assert "Preparation" in listed and "Email" in listed
    assert AuditEvent.objects.filter(object_type="session_guides", action="view").exists()


def test_a_cancelled_session_cannot_be_sent_a_guide(team: Team) -> None:
    session = book(team)
    session.status = "cancelled"
    session.save()
    answer = _client(team.nurse).post(_url(team, session), {"kind": "aftercare"}, follow=True)
    assert "Session: This session was cancelled or missed." in answer.content.decode()
    assert not GuideSend.objects.exists()


def test_the_admin_edits_the_iv_aftercare_text(team: Team) -> None:
    client = _client(team.admin)
    url = f"/c/{team.clinic.slug}/guide-settings/"
    assert client.get(url).status_code == 200
    client.post(url, {"action": "text", "family": "iv", "kind": "aftercare", "text": "Our text."})
    assert GuideText.objects.get().text == "Our text."
    bad = client.post(
        url,
        {
            "action": "settings",
            "preparation_hours_before": "0",
            "aftercare_hours_after": "0",
            "fasting_hours": "2",
            "arrive_minutes_before": "15",
        },
        follow=True,
    )
    assert "Preparation: hours before the session" in bad.content.decode()


def test_front_desk_may_read_but_not_edit_the_texts(team: Team) -> None:
    client = _client(team.front_desk)
    url = f"/c/{team.clinic.slug}/guide-settings/"
    assert client.get(url).status_code == 200
    assert (
        client.post(
            url, {"action": "text", "family": "iv", "kind": "aftercare", "text": "x"}
        ).status_code
        == 403
    )


def test_the_api_sends_a_guide_now_and_lists_it(team: Team) -> None:
    session = book(team)
    client = _client(team.nurse)
    url = f"/api/v1/patients/{team.patient.pk}/sessions/{session.pk}/guides"
    sent = client.post(
        url, {"kind": "aftercare", "channel": "none"}, content_type="application/json"
    )
    assert sent.status_code == 201, sent.content
    assert "/r/" in sent.json()["url"]
    listed = client.get(url).json()
    assert listed["family"] == "intranasal"
    assert [s["kind"] for s in listed["sends"]] == ["aftercare"]
    assert listed["sends"][0]["url"] is None
    bad = client.post(url, {"kind": "later"}, content_type="application/json")
    assert bad.status_code == 422 and "kind" in bad.content.decode()


def test_the_settings_page_edits_each_language_and_shows_the_iv_fallback(team: Team) -> None:
    client = _client(team.admin)
    url = f"/c/{team.clinic.slug}/guide-settings/"
    client.post(url, {"action": "text", "family": "iv", "kind": "aftercare", "text": "Ours."})
    page = client.get(url).content.decode()
    assert 'id="text-iv-aftercare-es"' in page and "data-fallback" in page
    assert "No maneje ni opere maquinaria hasta el día siguiente" in page
    client.post(
        url,
        {
            "action": "text",
            "family": "iv",
            "kind": "aftercare",
            "language": "es",
            "text": "Lo nuestro.",
        },
    )
    assert GuideText.objects.get(language="es").text == "Lo nuestro."
    assert GuideText.objects.get(language="en").text == "Ours."
    assert "data-fallback" not in client.get(url).content.decode()


def test_staff_see_a_guide_sent_in_english_for_want_of_a_spanish_protocol(team: Team) -> None:
    Patient.objects.filter(pk=team.patient.pk).update(preferred_language="es")
    client = _client(team.admin)
    client.post(
        f"/c/{team.clinic.slug}/guide-settings/",
        {"action": "text", "family": "iv", "kind": "preparation", "text": "Fast 6 hours."},
    )
    session = book(team, "iv_ketamine")
    client = _client(team.nurse)
    sent = client.post(_url(team, session), {"kind": "preparation", "channel": "none"}, follow=True)
    text = sent.content.decode()
    assert "Sent in English: the clinic has no protocol text" in text
    assert "data-fallback" in text
    api = client.post(
        f"/api/v1/patients/{team.patient.pk}/sessions/{session.pk}/guides",
        {"kind": "aftercare", "channel": "none"},
        content_type="application/json",
    )
    assert api.status_code == 201
    assert api.json()["language"] == "es" and api.json()["fallback"] is False
    prep = GuideSend.objects.filter(kind="preparation").get()
    assert prep.language == "en" and prep.fallback and prep.text == "Fast 6 hours."
