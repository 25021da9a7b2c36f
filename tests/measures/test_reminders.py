"""Reminders for unanswered links: by default two, 24 hours apart, within the link's
72-hour life; none once the link is answered, revoked or expired."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from ketacare.measures import services
from ketacare.measures.models import SelfReportLink
from ketacare.messaging.models import OutboundMessage
from ketacare.patients.models import Patient
from tests.measures.conftest import PHQ9_MODERATE, T0, Team, audit_count, audit_trail

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def send(team: Team, patient: Patient, channel: str = "email") -> SelfReportLink:
    return services.link_create(
        access=team.nurse, patient_id=patient.pk, instruments=["phq9"], channel=channel, now=T0
    )


def reminders_at(hours: list[float]) -> dict[float, int]:
    """How many links were reminded at each of these hours after T0."""
    return {h: len(services.reminders_send_due(now=T0 + h * HOUR)) for h in hours}


def reminder_messages() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(purpose="measure_reminder").order_by("created_at"))


def test_two_reminders_twenty_four_hours_apart(
    team: Team,
    patient: Patient,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        link = send(team, patient)
    start = audit_count(patient)

    with django_capture_on_commit_callbacks(execute=True):
        sent = reminders_at([1, 23, 23.99, 24, 25, 47, 48, 49, 71, 71.99])

    assert sent == {1: 0, 23: 0, 23.99: 0, 24: 1, 25: 0, 47: 0, 48: 1, 49: 0, 71: 0, 71.99: 0}
    link.refresh_from_db()
    assert link.reminders_sent == 2
    assert link.last_sent_at == T0 + 48 * HOUR
    assert audit_trail(patient, after=start) == [("schedule", "remind", "selfreportlink")] * 2
    first, second = reminder_messages()
    assert (first.channel, first.to, first.status) == ("email", patient.email, "sent")
    assert first.body.startswith("Reminder: ")
    assert services.link_url(link) in first.body
    assert second.body == first.body
    # The first email is the link itself, then the two reminders.
    assert [m.to for m in mail.outbox] == [[patient.email]] * 3


def test_sms_links_are_reminded_by_sms(
    team: Team,
    patient: Patient,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    sms_sent: Callable[[], list[dict[str, str]]],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send(team, patient, channel="sms")
        reminders_at([24])
    assert [s["to"] for s in sms_sent()] == [patient.phone.replace(" ", "")] * 2  # E.164
    assert sms_sent()[1]["body"].startswith("Reminder: ")


def test_no_reminder_once_the_link_is_answered(team: Team, patient: Patient) -> None:
    link = send(team, patient)
    token = services.link_token(link)
    services.link_save_draft(
        token=token,
        instrument="phq9",
        answers={n: v for n, v in enumerate(PHQ9_MODERATE, start=1)},
        now=T0 + 2 * HOUR,
    )
    services.link_submit(token=token, now=T0 + 2 * HOUR)

    assert reminders_at([24, 48]) == {24: 0, 48: 0}
    assert reminder_messages() == []


def test_no_reminder_once_revoked(team: Team, patient: Patient) -> None:
    link = send(team, patient)
    assert reminders_at([24]) == {24: 1}
    services.link_revoke(access=team.nurse, link_id=link.pk)
    assert reminders_at([48]) == {48: 0}
    assert len(reminder_messages()) == 1


def test_no_reminder_after_expiry_whatever_the_count(team: Team, patient: Patient) -> None:
    config = services.measure_settings_for(team.clinic)
    config.reminder_count = 10
    config.save()
    send(team, patient)
    assert reminders_at([24, 48, 72, 96, 200]) == {24: 1, 48: 1, 72: 0, 96: 0, 200: 0}


def test_a_link_shown_on_screen_is_never_reminded(team: Team, patient: Patient) -> None:
    send(team, patient, channel="none")
    assert reminders_at([24, 48]) == {24: 0, 48: 0}
    assert not OutboundMessage.objects.exists()


def test_the_clinics_count_and_interval_apply(team: Team, patient: Patient) -> None:
    config = services.measure_settings_for(team.clinic)
    config.reminder_count, config.reminder_interval_hours = 3, 6
    config.save()
    send(team, patient)
    assert reminders_at([5, 6, 11, 12, 18, 24, 30]) == {
        5: 0,
        6: 1,
        11: 0,
        12: 1,
        18: 1,
        24: 0,
        30: 0,
    }


def test_the_scheduler_tick_sends_reminders(team: Team, patient: Patient) -> None:
    send(team, patient)
    assert services.scheduler_tick(now=T0 + 24 * HOUR) == {
        "invitations": 0,
        "reminders": 1,
        "escalations": 0,
    }
    assert services.scheduler_tick(now=T0 + 24 * HOUR)["reminders"] == 0
