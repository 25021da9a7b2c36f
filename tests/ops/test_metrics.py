"""/metrics (Prometheus text format): guarded by a token or a network; request latencies
by route pattern; queue depth, oldest unsent message and open alerts; no patient data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ketacare.messaging.services import message_queue
from ketacare.patients.models import Patient
from tests.clock import advance_clock, fix_clock
from tests.measures.conftest import Team
from tests.measures.test_alerts import raise_alert

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def scrape(client: Client, **headers: str) -> tuple[int, str]:
    response = client.get("/metrics", headers=headers)
    return response.status_code, response.content.decode()


def value(text: str, name: str) -> float:
    (line,) = [row for row in text.splitlines() if row.startswith(name + " ")]
    return float(line.split()[1])


def test_a_scraper_from_an_allowed_network_may_read(settings: Settings) -> None:
    settings.KETACARE_METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    code, text = scrape(Client(REMOTE_ADDR="127.0.0.1"))
    assert code == 200
    assert "ketacare_task_queue_depth" in text


def test_any_other_address_is_refused(settings: Settings) -> None:
    settings.KETACARE_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.KETACARE_METRICS_TOKEN = "scrape-token-0123456789"
    code, text = scrape(Client(REMOTE_ADDR="192.0.2.7"))
    assert code == 403
    assert "ketacare_" not in text


def test_the_token_lets_a_scraper_in_from_anywhere(settings: Settings) -> None:
    settings.KETACARE_METRICS_ALLOWED_NETWORKS = []
    settings.KETACARE_METRICS_TOKEN = "scrape-token-0123456789"
    client = Client(REMOTE_ADDR="192.0.2.7")
    assert scrape(client, Authorization="Bearer scrape-token-0123456789")[0] == 200
    assert scrape(client, Authorization="Bearer wrong")[0] == 403
    assert scrape(client)[0] == 403


def test_request_latencies_are_labelled_by_route_not_path(
    settings: Settings, team: Team, patient: Patient
) -> None:
    settings.KETACARE_METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    client = Client()
    client.force_login(team.nurse.user)
    client.get(f"/c/{team.clinic.slug}/patients/{patient.pk}/")

    text = scrape(Client())[1]

    assert 'route="c/<slug:clinic_slug>/patients/<uuid:patient_id>/"' in text
    assert "ketacare_http_request_duration_seconds_bucket" in text
    for secret in (str(patient.pk), patient.mrn, patient.legal_family_name, team.clinic.slug):
        assert secret not in text


def test_queue_unsent_messages_and_open_alerts(team: Team, patient: Patient) -> None:
    fix_clock(T0)
    raise_alert(team, patient, at=T0)
    message_queue(clinic=team.clinic, channel="sms", to="+447700900123", body="x", purpose="t")
    advance_clock(minutes=5)

    text = scrape(Client())[1]

    assert value(text, "ketacare_open_safety_alerts") == 1
    assert value(text, "ketacare_unsent_messages") >= 1
    assert value(text, "ketacare_oldest_unsent_message_age_seconds") == 300
    assert value(text, "ketacare_task_queue_depth") == 0  # tests run tasks inline
