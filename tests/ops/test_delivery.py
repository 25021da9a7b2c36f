"""Messages that arrive: SMS through a Twilio-compatible provider (a fake one on
127.0.0.1), numbers normalised with phonenumbers, retries with backoff, delivery status on
the message, failed deliveries for administrators, and the clinic-wide banner when an
escalation cannot be delivered. Time is the fixed clock; nothing sleeps."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from ketacare.audit.models import AuditEvent
from ketacare.measures.tasks import measurement_tick
from ketacare.messaging import services
from ketacare.messaging.delivery import PermanentDeliveryError, next_attempt, retry_delay
from ketacare.messaging.models import OutboundMessage
from ketacare.messaging.sms import normalise_number
from ketacare.patients.models import Patient
from tests.clock import advance_clock, fix_clock
from tests.measures.conftest import Team
from tests.measures.test_alerts import raise_alert
from tests.ops.fake_provider import FakeProvider, fake_provider

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
Status = OutboundMessage.Status


# --- the pure rules ---


def test_backoff_doubles_from_the_base() -> None:
    waits = [retry_delay(attempt=n, base_seconds=60) for n in (1, 2, 3, 4)]
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]


def test_no_retry_after_the_last_attempt_or_a_permanent_error() -> None:
    def after(attempt: int, *, permanent: bool = False) -> dt.datetime | None:
        return next_attempt(
            attempt=attempt, max_attempts=5, permanent=permanent, now=T0, base_seconds=60
        )

    assert after(4) == T0 + dt.timedelta(minutes=8)
    assert after(5) is None
    assert after(1, permanent=True) is None


@pytest.mark.parametrize(
    ("number", "region", "e164"),
    [
        ("+44 7700 900123", "US", "+447700900123"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("07700 900123", "GB", "+447700900123"),
    ],
)
def test_numbers_are_normalised_to_e164(number: str, region: str, e164: str) -> None:
    assert normalise_number(number, region=region) == e164


@pytest.mark.parametrize("number", ["not a number", "+1 555", ""])
def test_an_invalid_number_cannot_be_delivered(number: str) -> None:
    with pytest.raises(PermanentDeliveryError, match="invalid phone number"):
        normalise_number(number, region="US")


# --- through the fake provider ---


@pytest.fixture
def provider(settings: Settings) -> Iterator[FakeProvider]:
    with fake_provider() as fake:
        settings.KETACARE_SMS_BACKEND = "ketacare.messaging.sms.TwilioSmsBackend"
        settings.KETACARE_SMS_API_URL = fake.url
        settings.KETACARE_SMS_ACCOUNT_ID = "AC0123456789"
        settings.KETACARE_SMS_AUTH_TOKEN = "provider-secret"
        settings.KETACARE_SMS_FROM = "+15005550006"
        settings.KETACARE_DELIVERY_ATTEMPTS = 5
        settings.KETACARE_DELIVERY_RETRY_SECONDS = 60
        settings.KETACARE_TICK_SECONDS = 60
        yield fake


def queue_sms(team: Team, to: str = "+44 7700 900123") -> OutboundMessage:
    return services.message_queue(
        clinic=team.clinic, channel="sms", to=to, body="Your check-in link", purpose="t"
    )


@pytest.mark.django_db
def test_the_message_arrives_at_the_provider(team: Team, provider: FakeProvider) -> None:
    fix_clock(T0)
    message = services.message_deliver(message_id=queue_sms(team).pk)

    assert provider.received == [
        {"To": "+447700900123", "From": "+15005550006", "Body": "Your check-in link"}
    ]
    assert provider.paths == ["/2010-04-01/Accounts/AC0123456789/Messages.json"]
    assert provider.auth == ["AC0123456789:provider-secret"]
    assert (message.status, message.attempts, message.sent_at) == (Status.SENT, 1, T0)
    assert message.provider_id == "SM" + "1".zfill(32)


@pytest.mark.django_db
def test_a_rejected_number_fails_at_once(team: Team, provider: FakeProvider) -> None:
    provider.status = 400
    message = services.message_deliver(message_id=queue_sms(team).pk)
    assert (message.status, message.attempts, message.error) == (
        Status.FAILED,
        1,
        "SMS provider answered HTTP 400",
    )
    invalid = services.message_deliver(message_id=queue_sms(team, to="12").pk)
    assert (invalid.status, invalid.error) == (Status.FAILED, "invalid phone number")
    assert len(provider.received) == 1  # the invalid number never left the server


@pytest.mark.django_db
def test_a_provider_outage_is_retried_with_backoff_then_succeeds(
    team: Team, provider: FakeProvider
) -> None:
    fix_clock(T0)
    provider.status = 503
    message = services.message_deliver(message_id=queue_sms(team).pk)
    assert (message.status, message.attempts) == (Status.RETRYING, 1)
    assert message.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert message.error == "SMS provider answered HTTP 503"

    # Not yet due: a tick in the same minute sends nothing.
    assert services.message_deliver(message_id=message.pk).attempts == 1

    provider.status = 201
    advance_clock(minutes=1)
    measurement_tick.enqueue()  # the tick enqueues due retries (tests run tasks inline)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (Status.SENT, 2, "")
    assert len(provider.received) == 2


@pytest.mark.django_db
def test_an_smtp_refusal_is_not_retried(
    team: Team, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise smtplib.SMTPRecipientsRefused({})

    monkeypatch.setattr(services, "send_mail", refuse)
    queued = services.message_queue(
        clinic=team.clinic, channel="email", to="a@example.org", body="b", purpose="t"
    )
    message = services.message_deliver(message_id=queued.pk)
    assert (message.status, message.error) == (
        Status.FAILED,
        "mail server refused (SMTPRecipientsRefused)",
    )


@pytest.mark.django_db
def test_an_undeliverable_escalation_is_retried_shown_failed_and_raises_the_banner(
    team: Team,
    patient: Patient,
    provider: FakeProvider,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    fix_clock(T0)
    raise_alert(team, patient, at=T0)
    provider.status = 503  # the SMS provider is down
    advance_clock(minutes=15)
    with django_capture_on_commit_callbacks(execute=True):
        measurement_tick.enqueue()  # escalates; the deliveries run after commit

    sms = OutboundMessage.objects.filter(purpose="alert_escalation", channel="sms")
    assert sms.count() == 2  # the administrator and the on-call prescriber
    assert set(sms.values_list("status", "attempts")) == {(Status.RETRYING, 1)}
    # E-mail got through; the SMS did not, so every page of the clinic says so at once.
    nurse = Client()
    nurse.force_login(team.nurse.user)
    page = nurse.get(f"/c/{team.clinic.slug}/dashboard/").content.decode()
    assert "An escalation of a safety alert did not reach its recipient." in page
    assert "failed, retrying after 1 attempt" in page

    # Retried at 1, 2, 4 and 8 minutes: five attempts in all, then failed.
    for wait in (1, 2, 4, 8):
        advance_clock(minutes=wait)
        with django_capture_on_commit_callbacks(execute=True):
            measurement_tick.enqueue()
    assert set(sms.values_list("status", "attempts")) == {(Status.FAILED, 5)}
    assert len(provider.received) == 10

    page = nurse.get(f"/c/{team.clinic.slug}/dashboard/").content.decode()
    assert "failed after 5 attempts (SMS provider answered HTTP 503)" in page
    assert "Failed deliveries" not in page  # the list is for administrators
    assert nurse.get(f"/c/{team.clinic.slug}/deliveries/failed/").status_code == 403

    # The administrator sees both failures and dismisses them; the banner goes.
    admin = Client()
    admin.force_login(team.admin.user)
    listing = admin.get(f"/c/{team.clinic.slug}/deliveries/failed/").content.decode()
    assert listing.count("<td>SMS provider answered HTTP 503</td>") == 2
    assert "Alert escalation" in listing
    for message in sms:
        response = admin.post(f"/c/{team.clinic.slug}/deliveries/failed/{message.pk}/dismiss/")
        assert response.status_code == 302
    assert (
        AuditEvent.objects.filter(object_type="outboundmessage", action="acknowledge").count() == 2
    )
    page = nurse.get(f"/c/{team.clinic.slug}/dashboard/").content.decode()
    assert "did not reach its recipient" not in page


@pytest.mark.django_db
def test_another_clinic_sees_no_banner_and_cannot_dismiss(
    team: Team, other_team: Team, provider: FakeProvider
) -> None:
    provider.status = 400
    message = services.message_queue(
        clinic=team.clinic, channel="sms", to="+447700900123", body="x", purpose="alert_escalation"
    )
    services.message_deliver(message_id=message.pk)

    other = Client()
    other.force_login(other_team.admin.user)
    assert (
        "did not reach" not in other.get(f"/c/{other_team.clinic.slug}/dashboard/").content.decode()
    )
    # Another clinic's message id is not found, on that clinic's own URL too.
    assert (
        other.post(
            f"/c/{other_team.clinic.slug}/deliveries/failed/{message.pk}/dismiss/"
        ).status_code
        == 404
    )
    assert other.get(f"/c/{team.clinic.slug}/deliveries/failed/").status_code == 404
