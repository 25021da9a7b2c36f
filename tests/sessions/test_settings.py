"""The clinic's session settings page: every setting with its value, cited default and
basis; prescribers and clinic admins change them (audited), others only read; a changed
threshold is the one the next reading is judged by."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import ValidationFailed
from ketacare.patients.models import Patient
from ketacare.treatment import services
from ketacare.treatment.models import ClinicSessionSettings
from ketacare.treatment.rules import FLAG_SETTINGS, RULE_SOURCES, SETTING_SPECS
from tests.sessions.build import at, ids, start_iv, to_pre_dose, vitals

pytestmark = pytest.mark.django_db

Clients = Callable[[ClinicAccess], Client]


def _form(**changes: str) -> dict[str, str]:
    current = services.session_settings(None)
    form = {
        s.name: str(getattr(current, s.name)) for s in SETTING_SPECS if s.name not in FLAG_SETTINGS
    }
    return {**form, "prescriber_on_site_other_protocols": "on", **changes}


def test_every_setting_shows_its_default_and_basis(
    nurse: ClinicAccess, api_client: Clients
) -> None:
    page = api_client(nurse).get(reverse("session_settings", args=[nurse.clinic.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    for spec in SETTING_SPECS:
        assert f'data-setting="{spec.name}"' in html
    assert "Clinical choice: no published stop threshold" in html  # systolic 180's basis
    assert RULE_SOURCES["esketamine_gate"][:40] in html
    assert 'name="systolic_urgent"' not in html  # a nurse reads; no inputs
    denied = api_client(nurse).post(
        reverse("session_settings", args=[nurse.clinic.slug]), _form(systolic_urgent="170")
    )
    assert denied.status_code == 403


def test_a_prescriber_changes_a_threshold_and_the_next_reading_uses_it(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, api_client: Clients
) -> None:
    url = reverse("session_settings", args=[prescriber.clinic.slug])
    client = api_client(prescriber)
    refused = client.post(url, _form(systolic_urgent="400"))
    assert refused.status_code == 422
    assert "Ensure this value is less than or equal to 240." in refused.content.decode()
    saved = client.post(url, _form(systolic_urgent="170"))
    assert saved.status_code == 302
    row = ClinicSessionSettings.objects.get(clinic=prescriber.clinic)
    assert row.systolic_urgent == 170
    assert row.updated_by == prescriber.user
    audit = AuditEvent.objects.get(object_type="clinicsessionsettings")
    assert audit.changes["systolic_urgent"] == [180, 170]
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    at(10)
    (stored,) = vitals(nurse, session, "s1", systolic=172, diastolic=90)
    (urgent,) = stored.alerts  # one alert for the reading, listing every limit broken
    assert urgent.rule == "blood_pressure_high"
    assert urgent.findings[0]["message"] == "Blood pressure 172/90 (≥ 170/110)"


def test_the_service_refuses_values_out_of_range(prescriber: ClinicAccess) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.settings_save(access=prescriber, data={"heart_rate_low": 5, "bogus": 1})
    assert exc.value.errors == {
        "bogus": ["Not a session setting."],
        "heart_rate_low": ["Enter 30-70 /min."],
    }
