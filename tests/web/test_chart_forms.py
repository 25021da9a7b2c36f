from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client

from ketacare.accounts.policy import Role
from ketacare.patients import services

pytestmark = pytest.mark.django_db


def test_new_weight_form_offers_today_in_the_clinics_calendar(make_access, clinic):
    clinic.time_zone = "Pacific/Auckland"  # far from UTC, so "today" differs for hours a day
    clinic.save()
    access = make_access(Role.NURSE, clinic)
    patient = services.patient_create(
        access=access,
        data={
            "mrn": "W-1",
            "legal_given_name": "Ana",
            "legal_family_name": "Diaz",
            "date_of_birth": dt.date(1980, 5, 1),
            "sex_at_birth": "female",
        },
    )
    client = Client()
    client.force_login(access.user)

    page = client.get(f"/c/{clinic.slug}/patients/{patient.pk}/weights/").content.decode()

    today = dt.datetime.now(zoneinfo.ZoneInfo("Pacific/Auckland")).date().isoformat()
    assert f'name="measured_on" value="{today}"' in page


def test_edit_form_keeps_the_date_of_birth(make_access, clinic):
    access = make_access(Role.FRONT_DESK, clinic)
    patient = services.patient_create(
        access=access,
        data={
            "mrn": "W-2",
            "legal_given_name": "Bo",
            "legal_family_name": "Ng",
            "date_of_birth": dt.date(1979, 3, 14),
            "sex_at_birth": "male",
        },
    )
    client = Client()
    client.force_login(access.user)

    page = client.get(f"/c/{clinic.slug}/patients/{patient.pk}/edit/").content.decode()

    assert 'value="1979-03-14"' in page
