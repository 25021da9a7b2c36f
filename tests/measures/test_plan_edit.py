"""Saving a plan again must not send the current invitation a second time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ketacare.measures import services
from ketacare.measures.models import SelfReportLink
from ketacare.patients.models import Patient
from tests.factories import clinic_today
from tests.measures.conftest import Team

pytestmark = pytest.mark.django_db


def _weekly(interval: int = 7) -> list[services.RuleInput]:
    return [services.RuleInput(kind="every_n_days", instruments=("phq9",), interval_days=interval)]


def test_resaving_an_unchanged_plan_sends_nothing_new(team: Team, patient: Patient) -> None:
    today = clinic_today(patient.clinic)
    services.plan_set(access=team.nurse, patient_id=patient.pk, starts_on=today, rules=_weekly())
    noon = timezone.now().replace(hour=12, minute=0) + dt.timedelta(days=1)
    assert len(services.schedule_run(now=noon)) == 1

    services.plan_set(access=team.nurse, patient_id=patient.pk, starts_on=today, rules=_weekly())

    assert services.schedule_run(now=noon) == []
    assert SelfReportLink.objects.filter(patient=patient).count() == 1


def test_a_changed_rule_is_a_new_rule(team: Team, patient: Patient) -> None:
    today = clinic_today(patient.clinic)
    services.plan_set(access=team.nurse, patient_id=patient.pk, starts_on=today, rules=_weekly())
    noon = timezone.now().replace(hour=12, minute=0) + dt.timedelta(days=1)
    services.schedule_run(now=noon)

    services.plan_set(
        access=team.nurse, patient_id=patient.pk, starts_on=today, rules=_weekly(interval=14)
    )

    assert len(services.schedule_run(now=noon)) == 1


def test_a_key_missed_by_the_lookup_is_still_issued_once(team: Team, patient: Patient) -> None:
    # E.g. the clinic lengthened its link lifetime: an old link falls outside the window the
    # tick reads, but the database's unique key still stops a second invitation.
    today = clinic_today(patient.clinic)
    services.plan_set(access=team.nurse, patient_id=patient.pk, starts_on=today, rules=_weekly())
    noon = timezone.now().replace(hour=12, minute=0) + dt.timedelta(days=1)
    services.schedule_run(now=noon)
    SelfReportLink.objects.filter(patient=patient).update(expires_at=noon - dt.timedelta(days=30))

    assert services.schedule_run(now=noon) == []
    assert SelfReportLink.objects.filter(patient=patient).count() == 1
