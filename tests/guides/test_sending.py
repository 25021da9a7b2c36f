"""The worker's tick sends each due guide once, through a session-guide link; the link
opens the guide; cancelled sessions send nothing; a rescheduled session sends again."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from ketacare.audit.models import AuditEvent
from ketacare.guides import core
from ketacare.guides.models import GuideSend
from ketacare.guides.services import guides_send_due, text_update
from ketacare.measures.models import SelfReportLink
from ketacare.measures.services import link_token
from ketacare.measures.tasks import measurement_tick
from ketacare.messaging.models import OutboundMessage
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.guides.conftest import NOW, START, Team, book


def _discharge(session: TreatmentSession, at: dt.datetime) -> None:
    session.status = TreatmentSession.Status.DISCHARGED
    session.discharged_at = at
    session.save()


def test_preparation_goes_out_once_at_the_clinic_set_time(team: Team) -> None:
    session = book(team)
    assert guides_send_due(now=NOW) == []  # 30 h ahead: not yet (24 h default)
    at = START - dt.timedelta(hours=24)
    [send] = guides_send_due(now=at)
    assert guides_send_due(now=at + dt.timedelta(minutes=1)) == []
    assert send.kind == "preparation" and send.session == session
    assert send.link.purpose == SelfReportLink.Purpose.SESSION_GUIDE
    [message] = OutboundMessage.objects.filter(purpose="session_guide")
    assert message.channel == "sms"
    assert link_token(send.link) in message.body
    assert "Do not eat" not in message.body  # no clinical detail in the message itself
    assert "10 Mar 15:00" in message.body


def test_the_worker_tick_sends_the_guides(team: Team) -> None:
    book(team)
    fix_clock(START - dt.timedelta(hours=2))
    done = measurement_tick.call()
    assert done["guides"] == 1
    assert GuideSend.objects.count() == 1


def test_cancelled_and_no_show_sessions_send_nothing(team: Team) -> None:
    for status in (TreatmentSession.Status.CANCELLED, TreatmentSession.Status.NO_SHOW):
        session = book(team)
        session.status = status
        session.discharged_at = START
        session.save()
    assert guides_send_due(now=START - dt.timedelta(hours=1)) == []
    assert guides_send_due(now=START + dt.timedelta(hours=1)) == []


def test_a_rescheduled_session_sends_for_its_new_time(team: Team) -> None:
    session = book(team)
    guides_send_due(now=START - dt.timedelta(hours=20))
    session.scheduled_start = START + dt.timedelta(days=2)
    session.save()
    [again] = guides_send_due(now=START + dt.timedelta(days=1, hours=1))
    assert again.scheduled_start == session.scheduled_start
    first = GuideSend.objects.exclude(pk=again.pk).get()
    old_page = Client().get(f"/r/{link_token(first.link)}/guide/").content.decode()
    assert "Your session has moved. It is now on" in old_page and "12 March 2026" in old_page
    assert GuideSend.objects.filter(session=session, kind="preparation").count() == 2


def test_esketamine_aftercare_page_says_no_driving_until_after_sleep(team: Team) -> None:
    session = book(team)
    out = START + dt.timedelta(hours=2, minutes=30)
    _discharge(session, out)
    [send] = guides_send_due(now=out + dt.timedelta(minutes=1))
    assert send.kind == "aftercare" and core.DRIVING_SENTENCE in send.text
    page = Client().get(f"/r/{link_token(send.link)}/", follow=True)
    assert page.status_code == 200
    assert "After your session" in page.content.decode()
    assert core.DRIVING_SENTENCE in page.content.decode()


def test_iv_aftercare_is_the_clinic_protocol_text(team: Team) -> None:
    protocol = "Our IV protocol: rest at home; no driving for 24 hours; call 555-0100."
    shown = text_update(access=team.admin, family="iv", kind="aftercare", text=protocol)
    assert shown == protocol
    session = book(team, "iv_ketamine")
    _discharge(session, START + dt.timedelta(hours=2))
    [send] = guides_send_due(now=START + dt.timedelta(hours=2))
    assert send.text == protocol
    page = Client().get(f"/r/{link_token(send.link)}/guide/")
    assert "rest at home; no driving for 24 hours" in page.content.decode()


def test_a_clinic_edit_cannot_remove_the_esketamine_driving_sentence(team: Team) -> None:
    shown = text_update(
        access=team.admin, family="intranasal", kind="aftercare", text="Rest at home."
    )
    assert shown == f"Rest at home.\n\n{core.DRIVING_SENTENCE}"


def test_a_cancelled_session_guide_link_answers_as_cancelled(team: Team) -> None:
    session = book(team)
    [send] = guides_send_due(now=START - dt.timedelta(hours=1))
    session.status = TreatmentSession.Status.CANCELLED
    session.save()
    page = Client().get(f"/r/{link_token(send.link)}/guide/")
    assert page.status_code == 410


# --- languages -------------------------------------------------------------------------


def _prefers(team: Team, language: str) -> None:
    Patient.objects.filter(pk=team.patient.pk).update(preferred_language=language)


def test_a_spanish_speaking_patient_gets_the_spanish_guides(team: Team) -> None:
    _prefers(team, "es")
    session = book(team)
    [prep] = guides_send_due(now=START - dt.timedelta(hours=1))
    assert prep.language == "es" and not prep.fallback
    assert "No coma durante las 2 horas" in prep.text
    out = START + dt.timedelta(hours=2, minutes=30)
    _discharge(session, out)
    [after] = guides_send_due(now=out)
    assert after.language == "es" and core.DRIVING_SENTENCE_ES in after.text
    assert core.DRIVING_SENTENCE not in after.text
    page = Client().get(f"/r/{link_token(after.link)}/guide/")
    assert core.DRIVING_SENTENCE_ES in page.content.decode()


def test_an_english_speaking_patient_gets_the_english_guides(team: Team) -> None:
    _prefers(team, "en")
    text_update(
        access=team.admin,
        family="intranasal",
        kind="preparation",
        text="Texto de la clínica.",
        language="es",
    )
    book(team)
    [prep] = guides_send_due(now=START - dt.timedelta(hours=1))
    assert prep.language == "en" and "Do not eat for 2 hours" in prep.text


def test_a_spanish_clinic_edit_keeps_the_spanish_driving_sentence(team: Team) -> None:
    shown = text_update(
        access=team.admin,
        family="intranasal",
        kind="aftercare",
        text="Descanse en casa.",
        language="es",
    )
    assert shown == f"Descanse en casa.\n\n{core.DRIVING_SENTENCE_ES}"
    _prefers(team, "es")
    session = book(team)
    _discharge(session, START + dt.timedelta(hours=2))
    [send] = guides_send_due(now=START + dt.timedelta(hours=2))
    assert send.text == shown


def test_spanish_iv_aftercare_is_the_clinic_spanish_protocol_else_its_english_one(
    team: Team,
) -> None:
    protocol = "Our IV protocol: rest at home; no driving for 24 hours; call 555-0100."
    text_update(access=team.admin, family="iv", kind="aftercare", text=protocol)
    _prefers(team, "es")
    first = book(team, "iv_ketamine")
    _discharge(first, START + dt.timedelta(hours=2))
    [send] = guides_send_due(now=START + dt.timedelta(hours=2))
    assert send.text == protocol and send.language == "en" and send.fallback
    event = AuditEvent.objects.get(object_type="guidesend", object_id=str(send.pk))
    assert event.details["fallback"] is True and event.details["language"] == "en"
    protocolo = "Nuestro protocolo IV: descanse en casa; no maneje durante 24 horas."
    text_update(access=team.admin, family="iv", kind="aftercare", text=protocolo, language="es")
    second = book(team, "iv_ketamine", START + dt.timedelta(days=3))
    _discharge(second, START + dt.timedelta(days=3, hours=2))
    [again] = guides_send_due(now=START + dt.timedelta(days=3, hours=2))
    assert again.text == protocolo and again.language == "es" and not again.fallback
