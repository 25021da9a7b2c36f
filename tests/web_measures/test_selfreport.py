"""The patient's self-report pages, driven as a browser without JavaScript would:
save partially, come back, answer every questionnaire, submit once; refused links;
crisis resources after an answer that raises a suicidality flag."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.audit.models import AuditEvent
from ketacare.measures import get_instrument
from ketacare.measures import services as measures
from ketacare.measures.models import (
    QuestionnaireResponse,
    SafetyAlert,
    Score,
    SelfReportLink,
)
from tests.web_measures.conftest import Team, link_path

pytestmark = pytest.mark.django_db

PHQ9_MILD = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": "0", "item_10": "1"}
GAD7_MILD = {f"item_{n}": "1" for n in range(1, 8)}
MakeLink = Callable[..., SelfReportLink]


def _stored() -> tuple[int, int, int]:
    return (
        QuestionnaireResponse.objects.count(),
        Score.objects.count(),
        SafetyAlert.objects.count(),
    )


def _html(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def test_first_page_shows_one_questionnaire_with_labelled_items(make_link: MakeLink) -> None:
    link = make_link()
    page = Client().get(link_path(link))

    assert page.status_code == 200
    html = _html(page)
    assert '<html lang="en">' in html
    assert "Questionnaire 1 of 2" in html
    assert get_instrument("phq9").name in html
    assert get_instrument("gad7").name not in html
    # Each item is a fieldset with a legend carrying the shipped wording.
    assert html.count('<fieldset class="sr-item') == 10
    assert "Little interest or pleasure in doing things" in html
    # Radios are labelled and required (item 10, the difficulty question, is optional).
    assert len(re.findall(r'name="item_1" value="\d" required', html)) == 4
    assert 'name="item_10" value="0" required' not in html
    assert re.search(r'<progress id="sr-progress-bar" max="10" value="0">', html)
    assert "0</span> of <span data-total>10</span> questions answered" in html
    # The crisis box is on the page, hidden, and item 9 tells the script when to show it.
    assert re.search(r'<section id="crisis"[^>]*role="alert"[^>]* hidden', html)
    assert 'id="item-9" data-crisis-from="1"' in html
    assert "data-crisis-from" not in html.replace('id="item-9" data-crisis-from="1"', "")
    # Nothing external: the only scripts and styles are this server's static files.
    assert not re.search(r'(src|href)="https?://', html)
    assert "<script>" not in html  # no inline script
    assert page["Cache-Control"].startswith("max-age=0")
    # The token never leaves the site in a Referer; same-origin POSTs keep their Origin,
    # which the CSRF check needs.
    assert page["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in html


def test_save_partial_then_come_back_then_submit_stores_everything_once(
    team: Team, make_link: MakeLink
) -> None:
    link = make_link()
    path = link_path(link)
    client = Client()

    partial = {"step": "1", "action": "save", "item_1": "2", "item_2": "1"}
    saved = client.post(path, partial)

    assert saved.status_code == 200
    html = _html(saved)
    assert "Your answers are saved" in html
    expires = link.expires_at.astimezone(zoneinfo.ZoneInfo(team.clinic.time_zone))
    assert f"{expires:%H:%M}" in html and str(expires.year) in html
    assert _stored() == (0, 0, 0)

    # Coming back later: the page reopens on the first questionnaire, answers kept.
    again = Client().get(path)
    html = _html(again)
    assert 'name="item_1" value="2" checked' in html
    assert 'name="item_2" value="1" checked' in html
    assert "2</span> of <span data-total>10</span> questions answered" in html

    to_gad7 = client.post(path, {"step": "1", "action": "next", **PHQ9_MILD})
    assert to_gad7.status_code == 302
    assert to_gad7["Location"] == f"{path}?step=2"
    second = client.get(to_gad7["Location"])
    assert "Questionnaire 2 of 2" in _html(second)
    assert ">Submit<" in _html(second)
    assert _stored() == (0, 0, 0)

    done = client.post(path, {"step": "2", "action": "next", **GAD7_MILD})

    assert done.status_code == 200
    assert "Thank you" in _html(done)
    assert 'id="crisis"' in _html(done) and re.search(r'id="crisis"[^>]* hidden', _html(done))
    link.refresh_from_db()
    assert link.completed_at is not None
    responses = {r.instrument: r for r in QuestionnaireResponse.objects.filter(link=link)}
    assert set(responses) == {"phq9", "gad7"}
    assert responses["phq9"].answers == [1, 1, 1, 1, 1, 1, 1, 1, 0, 1]
    assert responses["phq9"].respondent == "patient"
    assert responses["gad7"].answers == [1] * 7
    assert {s.instrument: s.total for s in Score.objects.filter(patient=team.patient)} == {
        "phq9": 8,
        "gad7": 7,
    }
    assert SafetyAlert.objects.count() == 0

    # The link is used: opening it again or posting again stores nothing more.
    before = _stored()
    reopened = Client().get(path)
    assert reopened.status_code == 410
    assert "Already answered" in _html(reopened)
    resubmitted = client.post(path, {"step": "2", "action": "next", **GAD7_MILD})
    assert resubmitted.status_code == 410
    assert "Already answered" in _html(resubmitted)
    assert _stored() == before


def test_next_names_every_unanswered_question_and_keeps_the_answers(
    make_link: MakeLink,
) -> None:
    link = make_link()
    path = link_path(link)

    answered = {"item_1": "3", "item_2": "2", "item_3": "1"}
    response = Client().post(path, {"step": "1", "action": "next", **answered})

    assert response.status_code == 422
    html = _html(response)
    assert "Please answer these 6 questions" in html
    for number in (4, 5, 6, 7, 8, 9):
        assert f'href="#item-{number}">Question {number}:' in html
        assert f'id="item-{number}-error"' in html
    assert 'href="#item-10"' not in html  # optional
    assert 'name="item_1" value="3" checked' in html
    link.refresh_from_db()
    assert link.draft["phq9"] == {"1": 3, "2": 2, "3": 1}
    assert link.completed_at is None


def test_a_value_that_is_not_an_option_is_refused_by_item(make_link: MakeLink) -> None:
    link = make_link(("phq9",))
    response = Client().post(
        link_path(link), {"step": "1", "action": "save", "item_1": "7", "item_2": "x"}
    )

    assert response.status_code == 422
    assert 'id="item-1-error"' in _html(response)
    assert 'id="item-2-error"' in _html(response)
    link.refresh_from_db()
    assert link.draft.get("phq9", {}) == {}


def test_crisis_resources_show_after_saving_phq9_item_9_without_javascript(
    team: Team, make_link: MakeLink
) -> None:
    settings_row = measures.measure_settings_for(team.clinic)
    settings_row.crisis_resources = "Call the Riverside crisis line on 0800 000 111."
    settings_row.save()
    link = make_link()
    path = link_path(link)
    client = Client()

    saved = client.post(path, {"step": "1", "action": "save", "item_9": "1"})

    html = _html(saved)
    assert re.search(r'<section id="crisis" class="sr-crisis" role="alert"[^>]*>', html)
    assert not re.search(r'<section id="crisis"[^>]* hidden', html)
    assert "Call the Riverside crisis line on 0800 000 111." in html
    assert SafetyAlert.objects.count() == 0  # nothing is stored until submit

    # Pressing Next (to the second questionnaire) shows them too.
    moved = client.post(path, {"step": "1", "action": "next", **PHQ9_MILD, "item_9": "1"})
    page = client.get(moved["Location"])
    assert "Call the Riverside crisis line" in _html(page)
    assert not re.search(r'<section id="crisis"[^>]* hidden', _html(page))

    # And the thank-you page, since the submitted PHQ-9 raised a finding.
    done = client.post(path, {"step": "2", "action": "next", **GAD7_MILD})
    assert "Thank you" in _html(done)
    assert not re.search(r'<section id="crisis"[^>]* hidden', _html(done))
    alert = SafetyAlert.objects.get(patient=team.patient)
    assert (alert.flag, alert.item_number) == ("suicidal_ideation", 9)


def test_item_9_at_zero_shows_no_crisis_box(make_link: MakeLink) -> None:
    link = make_link(("phq9",))
    saved = Client().post(link_path(link), {"step": "1", "action": "save", "item_9": "0"})
    assert re.search(r'<section id="crisis"[^>]* hidden', _html(saved))


def test_submit_checks_earlier_questionnaires_too(make_link: MakeLink) -> None:
    link = make_link()
    path = link_path(link)
    client = Client()
    client.post(path, {"step": "1", "action": "save", "item_1": "1"})

    # Jumping straight to the last page and submitting: the first page is not complete.
    response = client.post(path, {"step": "2", "action": "next", **GAD7_MILD})

    assert response.status_code == 422
    html = _html(response)
    assert "Questionnaire 1 of 2" in html
    assert "still need an answer" in html
    link.refresh_from_db()
    assert link.completed_at is None
    assert _stored() == (0, 0, 0)


def test_back_keeps_the_answers_of_the_page(make_link: MakeLink) -> None:
    link = make_link()
    path = link_path(link)
    back = Client().post(path, {"step": "2", "action": "back", "item_1": "2"})

    assert back["Location"] == f"{path}?step=1"
    link.refresh_from_db()
    assert link.draft["gad7"] == {"1": 2}


@pytest.mark.parametrize("reason", ["expired", "revoked", "used"])
def test_refused_links_say_what_happened_with_410_and_store_nothing(
    team: Team, make_link: MakeLink, reason: str
) -> None:
    link = make_link()
    path = link_path(link)
    if reason == "expired":
        SelfReportLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
    elif reason == "revoked":
        measures.link_revoke(access=team.nurse, link_id=link.pk)
    else:
        SelfReportLink.objects.filter(pk=link.pk).update(completed_at=timezone.now())
    draft_before = SelfReportLink.objects.get(pk=link.pk).draft
    audit_before = AuditEvent.objects.count()
    expected = {
        "expired": "This link has expired",
        "revoked": "This link was cancelled",
        "used": "Already answered",
    }[reason]

    got = Client().get(path)
    posted = Client().post(path, {"step": "1", "action": "next", **PHQ9_MILD})
    saved = Client().post(path, {"step": "1", "action": "save", "item_1": "3"})

    for response in (got, posted, saved):
        assert response.status_code == 410
        html = _html(response)
        assert expected in html
        assert f'data-refused="{reason}"' in html
        assert "contact" in html.lower()
        assert team.clinic.name in html
        assert "<form" not in html
    assert _stored() == (0, 0, 0)
    assert SelfReportLink.objects.get(pk=link.pk).draft == draft_before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("mangle", ["tampered", "garbage"])
def test_a_tampered_token_is_404_and_stores_nothing(make_link: MakeLink, mangle: str) -> None:
    link = make_link()
    token = measures.link_token(link)
    if mangle == "tampered":
        value, signature = token.rsplit(":", 1)
        bad = f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    else:
        bad = "not-a-token"
    audit_before = AuditEvent.objects.count()

    got = Client().get(f"/r/{bad}/")
    posted = Client().post(f"/r/{bad}/", {"step": "1", "action": "next", **PHQ9_MILD})

    for response in (got, posted):
        assert response.status_code == 404
        html = _html(response)
        assert "This link does not work" in html
        assert "contact the clinic" in html
        assert 'data-refused="invalid"' in html
    link.refresh_from_db()
    assert link.draft == {} and link.completed_at is None
    assert _stored() == (0, 0, 0)
    assert AuditEvent.objects.count() == audit_before


def test_clinic_wording_replaces_the_item_text(team: Team, make_link: MakeLink) -> None:
    from ketacare.measures.models import InstrumentWording

    InstrumentWording.objects.create(
        clinic=team.clinic,
        instrument="gad7",
        item_number=1,
        text="Clinic wording for item one",
        option_labels={"0": "Never at all"},
    )
    link = make_link()
    html = _html(Client().get(f"{link_path(link)}?step=2"))

    assert "Clinic wording for item one" in html
    assert "Never at all" in html
    assert "Questionnaire 2 of 2" in html


def test_phq9_without_item_10_is_accepted_through_a_link(team: Team, make_link: MakeLink) -> None:
    """Issue #12 finding 13: the patient may leave the difficulty question blank."""
    link = make_link(instruments=("phq9",))
    nine = {f"item_{n}": "1" for n in range(1, 10)}
    done = Client().post(link_path(link), {"step": "1", "action": "next", **nine})
    assert done.status_code == 200 and "Thank you" in _html(done)
    recorded = QuestionnaireResponse.objects.get(link=link)
    assert recorded.answers == [1] * 9 + [None]
    assert Score.objects.get(patient=team.patient).total == 9


def test_a_qids_link_shows_the_clinics_licensed_wording_not_a_developer_note(
    team: Team, make_link: MakeLink
) -> None:
    from tests.measures.test_links import load_qids_wording

    load_qids_wording(team.clinic)
    link = make_link(instruments=("qids_sr16",))
    html = _html(Client().get(link_path(link)))
    assert "Licensed question 1" in html and "Licensed answer 16.3" in html
    assert "KetaCare does not ship" not in html
    assert "Falling asleep" not in html
