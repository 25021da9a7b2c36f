"""The demo holds fully charted sessions with realistic vital-sign series (a rise that
peaks mid-infusion and settles), signed; esketamine sessions with a submitted and a
still-to-submit REMS form; and one IV session under way at Riverside."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ketacare.demo.seed import seed_demo
from ketacare.treatment.models import (
    RemsMonitoringForm,
    SessionAlert,
    TreatmentSession,
    VitalReading,
)

pytestmark = pytest.mark.django_db


def test_the_demo_has_charted_sessions_and_one_under_way() -> None:
    assert seed_demo() is True
    signed = TreatmentSession.objects.filter(status="signed")
    assert signed.count() == 2 * (4 + 2)  # per clinic: four IV, two esketamine
    for session in signed:
        readings = list(VitalReading.objects.filter(session=session).order_by("taken_at"))
        baseline, *after = readings
        assert baseline.is_baseline and len(after) >= 4
        peak = max(after, key=lambda r: r.systolic or 0)
        assert peak.systolic is not None and baseline.systolic is not None
        assert peak.systolic > baseline.systolic  # the usual rise
        assert abs((after[-1].systolic or 0) - baseline.systolic) < 25  # settled by the end
        assert all(96 <= (r.spo2 or 0) <= 99 for r in readings)
        assert session.discharged_at and session.signed_at and session.discharged_by_id
    acknowledged = SessionAlert.objects.exclude(acknowledged_at=None)
    assert acknowledged.exists()
    assert not SessionAlert.objects.filter(acknowledged_at=None, session__status="signed")
    forms = RemsMonitoringForm.objects.order_by("due_on")
    assert [f.status for f in forms] == ["submitted", "submitted", "draft", "draft"]
    (live,) = TreatmentSession.objects.filter(status="dosing")
    assert live.clinic.slug == "riverside"
    assert live.dosing_started_at is not None
    assert timezone.now() - live.dosing_started_at < dt.timedelta(minutes=30)
    assert VitalReading.objects.filter(session=live, is_baseline=False).count() == 2
