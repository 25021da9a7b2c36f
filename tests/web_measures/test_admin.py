"""Clinic administrators set their clinics' measure settings and licensed scale wording
in the admin, scoped to the clinics they administer, and each change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.measures import services as measures
from ketacare.measures.models import ClinicMeasureSettings, InstrumentWording
from ketacare.web.admin import thresholds_problems
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/admin/measures/clinicmeasuresettings/"
WORDING_URL = "/admin/measures/instrumentwording/"


def _admin_of(clinic: Clinic) -> Client:
    user = MembershipFactory.create(clinic=clinic, role=Role.CLINIC_ADMIN.value).user
    client = Client()
    client.force_login(user)
    return client


def _settings_form(row: ClinicMeasureSettings, **changes: Any) -> dict[str, Any]:
    data = {
        "crisis_resources": row.crisis_resources,
        "thresholds": "{}",
        "alert_escalation_minutes": row.alert_escalation_minutes,
        "link_expiry_hours": row.link_expiry_hours,
        "reminder_count": row.reminder_count,
        "reminder_interval_hours": row.reminder_interval_hours,
        "pre_session_lead_hours": row.pre_session_lead_hours,
        "send_hour_local": row.send_hour_local,
    }
    return data | changes


def test_admin_sees_only_their_clinics_settings(clinic: Clinic, other_clinic: Clinic) -> None:
    mine = measures.measure_settings_for(clinic)
    theirs = measures.measure_settings_for(other_clinic)
    client = _admin_of(clinic)

    listing = client.get(SETTINGS_URL).content.decode()

    assert f"{SETTINGS_URL}{mine.pk}/change/" in listing
    assert f"{SETTINGS_URL}{theirs.pk}/change/" not in listing
    assert client.get(f"{SETTINGS_URL}{theirs.pk}/change/").status_code in (302, 404)
    before = ClinicMeasureSettings.objects.get(pk=theirs.pk).crisis_resources
    client.post(f"{SETTINGS_URL}{theirs.pk}/change/", _settings_form(theirs, crisis_resources="x"))
    assert ClinicMeasureSettings.objects.get(pk=theirs.pk).crisis_resources == before


def test_admin_changes_crisis_text_and_escalation_and_it_is_audited(clinic: Clinic) -> None:
    row = measures.measure_settings_for(clinic)
    client = _admin_of(clinic)
    data = _settings_form(
        row,
        crisis_resources="Call 988 or the clinic on 555-0100.",
        alert_escalation_minutes=10,
        thresholds='{"phq9": {"suicidal_ideation_threshold": 2}}',
    )

    response = client.post(f"{SETTINGS_URL}{row.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    row.refresh_from_db()
    assert row.crisis_resources == "Call 988 or the clinic on 555-0100."
    assert row.alert_escalation_minutes == 10
    assert row.thresholds == {"phq9": {"suicidal_ideation_threshold": 2}}
    event = AuditEvent.objects.get(clinic=clinic, object_type="clinicmeasuresettings")
    assert event.action == "update"
    assert event.changes["alert_escalation_minutes"] == [15, 10]
    assert set(event.changes) == {"crisis_resources", "alert_escalation_minutes", "thresholds"}
    # The threshold now applies to the self-report form's crisis trigger.
    assert measures.crisis_items(clinic, "phq9") == {9: 2}


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ('{"nope": {}}', "unknown instrument"),
        ('{"phq9": {"suicidal_ideation_threshold": 9}}', "must be an integer 1-3"),
        ('{"phq9": {"colour": 1}}', "unknown config key"),
        ('{"phq9": 3}', "give an object"),
        ("[1]", "Give an object keyed by instrument"),
    ],
)
def test_bad_thresholds_are_refused_in_the_scoring_cores_words(
    clinic: Clinic, thresholds: str, message: str
) -> None:
    row = measures.measure_settings_for(clinic)
    client = _admin_of(clinic)

    response = client.post(
        f"{SETTINGS_URL}{row.pk}/change/", _settings_form(row, thresholds=thresholds)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    row.refresh_from_db()
    assert row.thresholds == {}
    assert not AuditEvent.objects.filter(object_type="clinicmeasuresettings").exists()


def test_thresholds_problems_accepts_every_instruments_defaults() -> None:
    from ketacare.measures import INSTRUMENTS, default_config

    everything = {code: default_config(code) for code in INSTRUMENTS}
    assert thresholds_problems(everything) == []


def test_admin_loads_licensed_wording_for_their_clinic_only(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    client = _admin_of(clinic)
    data = {
        "clinic": clinic.pk,
        "instrument": "madrs",
        "item_number": 1,
        "text": "Licensed MADRS item 1 wording",
        "option_labels": '{"0": "No sadness", "6": "Extreme"}',
    }

    response = client.post(f"{WORDING_URL}add/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    wording = InstrumentWording.objects.get(clinic=clinic)
    assert wording.option_labels == {"0": "No sadness", "6": "Extreme"}
    assert AuditEvent.objects.filter(
        clinic=clinic, object_type="instrumentwording", action="create"
    ).exists()

    elsewhere = client.post(f"{WORDING_URL}add/", data | {"clinic": other_clinic.pk})
    assert elsewhere.status_code == 200
    assert "Select a valid choice" in elsewhere.content.decode()
    assert not InstrumentWording.objects.filter(clinic=other_clinic).exists()

    theirs = InstrumentWording.objects.create(
        clinic=other_clinic, instrument="madrs", item_number=2, text="theirs"
    )
    listing = client.get(WORDING_URL).content.decode()
    assert f"{WORDING_URL}{wording.pk}/change/" in listing
    assert f"{WORDING_URL}{theirs.pk}/change/" not in listing


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"item_number": 11}, "madrs has items 1-10."),
        ({"option_labels": '{"7": "Too high"}'}, "Item 1 has no answer 7"),
    ],
)
def test_wording_must_fit_the_instrument(
    clinic: Clinic, changes: dict[str, Any], message: str
) -> None:
    client = _admin_of(clinic)
    data = {
        "clinic": clinic.pk,
        "instrument": "madrs",
        "item_number": 1,
        "text": "Wording",
        "option_labels": "{}",
    } | changes

    response = client.post(f"{WORDING_URL}add/", data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not InstrumentWording.objects.exists()


def test_staff_who_do_not_administer_a_clinic_get_no_admin(clinic: Clinic) -> None:
    user = MembershipFactory.create(clinic=clinic, role=Role.PRESCRIBER.value).user
    client = Client()
    client.force_login(user)
    assert client.get(SETTINGS_URL).status_code == 302
