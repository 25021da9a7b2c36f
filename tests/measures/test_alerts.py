"""Safety alerts: acknowledged with who, when, the action and a note; escalated once to
the clinic's administrators and on-call prescribers when left unacknowledged past the
clinic's limit (15 minutes by default). Time is passed in; nothing sleeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from ketacare.accounts.models import Membership
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.measures import services
from ketacare.measures.models import SafetyAlert
from ketacare.messaging.models import OutboundMessage
from ketacare.patients.models import Patient
from tests.measures.conftest import (
    PHQ9_ITEM9,
    T0,
    Team,
    add_member,
    audit_count,
    audit_trail,
    register,
)

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def raise_alert(team: Team, patient: Patient, at: dt.datetime = T0) -> SafetyAlert:
    """The patient answers PHQ-9 item 9 = 1 through a link at `at`."""
    link = services.link_create(
        access=team.nurse, patient_id=patient.pk, instruments=["phq9"], channel="none", now=at
    )
    token = services.link_token(link)
    services.link_save_draft(
        token=token,
        instrument="phq9",
        answers={n: v for n, v in enumerate(PHQ9_ITEM9, start=1)},
        now=at,
    )
    (recorded,) = services.link_submit(token=token, now=at)
    (alert,) = recorded.alerts
    assert alert.raised_at == at
    return alert


# --- acknowledging ----------------------------------------------------------------------


def test_acknowledging_records_who_when_the_action_and_a_note(team: Team, patient: Patient) -> None:
    alert = raise_alert(team, patient)
    start = audit_count(patient)

    done = services.alert_acknowledge(
        access=team.nurse,
        alert_id=alert.pk,
        action_taken="contacted_patient",
        note="  Phoned; passive thoughts only, safety plan reviewed.  ",
        now=T0 + 4 * MINUTE,
    )

    alert.refresh_from_db()
    assert alert == done
    assert alert.acknowledged_by == team.nurse.user
    assert alert.acknowledged_at == T0 + 4 * MINUTE
    assert alert.action_taken == "contacted_patient"
    assert alert.note == "Phoned; passive thoughts only, safety plan reviewed."
    assert audit_trail(patient, after=start) == [
        (team.nurse.user.username, "acknowledge", "safetyalert")
    ]
    event = AuditEvent.objects.get(action="acknowledge")
    assert event.object_id == str(alert.pk)
    assert event.changes["action_taken"] == ["", "contacted_patient"]
    assert event.changes["note"] == ["", alert.note]


def test_acknowledging_defaults_to_the_current_time(team: Team, patient: Patient) -> None:
    alert = raise_alert(team, patient)
    before = dt.datetime.now(dt.UTC)
    done = services.alert_acknowledge(
        access=team.prescriber, alert_id=alert.pk, action_taken="safety_plan"
    )
    assert done.acknowledged_at is not None
    assert before <= done.acknowledged_at <= dt.datetime.now(dt.UTC)


def test_an_alert_is_acknowledged_once(team: Team, patient: Patient) -> None:
    alert = raise_alert(team, patient)
    services.alert_acknowledge(
        access=team.nurse, alert_id=alert.pk, action_taken="safety_plan", now=T0 + MINUTE
    )
    events = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        services.alert_acknowledge(
            access=team.prescriber,
            alert_id=alert.pk,
            action_taken="urgent_assessment",
            now=T0 + 2 * MINUTE,
        )

    assert list(refused.value.errors) == ["alert"]
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.action_taken) == (team.nurse.user, "safety_plan")
    assert alert.acknowledged_at == T0 + MINUTE
    assert AuditEvent.objects.count() == events


def test_acknowledging_needs_a_known_action(team: Team, patient: Patient) -> None:
    alert = raise_alert(team, patient)
    with pytest.raises(ValidationFailed) as refused:
        services.alert_acknowledge(access=team.nurse, alert_id=alert.pk, action_taken="shrug")
    assert list(refused.value.errors) == ["action_taken"]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_who_may_acknowledge(team: Team, other_team: Team, patient: Patient) -> None:
    alert = raise_alert(team, patient)
    for access in (team.compliance, team.front_desk, team.researcher, team.admin):
        with pytest.raises(PermissionDenied):
            services.alert_acknowledge(
                access=access, alert_id=alert.pk, action_taken="no_action_needed"
            )
    with pytest.raises(NotFound):
        services.alert_acknowledge(
            access=other_team.prescriber, alert_id=alert.pk, action_taken="no_action_needed"
        )
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    services.alert_acknowledge(
        access=team.therapist, alert_id=alert.pk, action_taken="no_action_needed"
    )


# --- escalation ---------------------------------------------------------------------------


def test_an_alert_escalates_at_fifteen_minutes_exactly_once(
    team: Team,
    patient: Patient,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    sms_sent: Callable[[], list[dict[str, str]]],
) -> None:
    alert = raise_alert(team, patient)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.alerts_escalate_due(now=T0 + 14 * MINUTE) == []
    assert (mail.outbox, sms_sent()) == ([], [])
    alert.refresh_from_db()
    assert alert.escalated_at is None

    start = audit_count(patient)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alerts_escalate_due(now=T0 + 15 * MINUTE) == [alert]
    alert.refresh_from_db()
    assert alert.escalated_at == T0 + 15 * MINUTE
    assert alert.acknowledged_at is None  # escalation does not acknowledge
    assert audit_trail(patient, after=start) == [("schedule", "escalate", "safetyalert")]

    # Who hears of it: the clinic's administrator and the on-call prescriber, by both
    # email and SMS; nobody else.
    assert sorted(address for m in mail.outbox for address in m.to) == sorted(
        [team.admin.user.email, team.prescriber.user.email]
    )
    assert sorted(s["to"] for s in sms_sent()) == sorted(  # E.164 for the provider
        [
            team.admin.user.mobile_phone.replace(" ", ""),
            team.prescriber.user.mobile_phone.replace(" ", ""),
        ]
    )
    for email in mail.outbox:
        assert "unacknowledged safety alert" in email.subject.lower()
        assert patient.mrn in email.body
        assert f"/c/{team.clinic.slug}/" in email.body
        assert "raised 08:00" in email.body  # London time (GMT in March)
    assert set(OutboundMessage.objects.values_list("purpose", "status")) == {
        ("alert_escalation", "sent")
    }
    assert {m.recipient_user for m in OutboundMessage.objects.all()} == {
        team.admin.user,
        team.prescriber.user,
    }

    with django_capture_on_commit_callbacks(execute=True):
        for later in (16, 30, 24 * 60):
            assert services.alerts_escalate_due(now=T0 + later * MINUTE) == []
    assert len(mail.outbox) == 2
    assert len(sms_sent()) == 2
    assert audit_count(patient) == start + 1


def test_an_acknowledged_alert_never_escalates(team: Team, patient: Patient) -> None:
    alert = raise_alert(team, patient)
    services.alert_acknowledge(
        access=team.nurse, alert_id=alert.pk, action_taken="contacted_patient", now=T0 + MINUTE
    )
    assert services.alerts_escalate_due(now=T0 + 60 * MINUTE) == []
    assert not OutboundMessage.objects.exists()


def test_a_clinic_escalation_limit_of_five_minutes_is_honoured(
    team: Team, other_team: Team, patient: Patient
) -> None:
    config = services.measure_settings_for(team.clinic)
    config.alert_escalation_minutes = 5
    config.save()
    other_patient = register(other_team.nurse, mrn="B-1")
    quick = raise_alert(team, patient)
    default = raise_alert(other_team, other_patient)  # clinic B keeps 15 minutes

    assert services.alerts_escalate_due(now=T0 + 4 * MINUTE) == []
    assert services.alerts_escalate_due(now=T0 + 5 * MINUTE) == [quick]
    assert services.alerts_escalate_due(now=T0 + 14 * MINUTE) == []
    assert services.alerts_escalate_due(now=T0 + 15 * MINUTE) == [default]
    # Each clinic's escalation went to its own people only.
    recipients = {
        clinic: set(
            OutboundMessage.objects.filter(clinic=clinic).values_list("recipient_user", flat=True)
        )
        for clinic in (team.clinic, other_team.clinic)
    }
    assert recipients[team.clinic] == {team.admin.user.pk, team.prescriber.user.pk}
    assert recipients[other_team.clinic] == {
        other_team.admin.user.pk,
        other_team.prescriber.user.pk,
    }


def test_escalation_reaches_every_admin_and_on_call_prescriber_with_contact_details(
    team: Team, patient: Patient
) -> None:
    # The off-call prescriber goes on call; the on-call one has no mobile number; a
    # second admin's membership has ended.
    Membership.objects.filter(user=team.prescriber_off_call.user).update(is_on_call=True)
    team.prescriber.user.mobile_phone = ""
    team.prescriber.user.save()
    Membership.objects.filter(user=team.nurse.user).update(is_on_call=True)  # not a prescriber
    former = add_member(team.clinic, Role.CLINIC_ADMIN, "former")
    Membership.objects.filter(user=former.user).update(is_active=False)

    assert {m.user for m in services.escalation_recipients(team.clinic)} == {
        team.admin.user,
        team.prescriber.user,
        team.prescriber_off_call.user,
    }
    raise_alert(team, patient)
    services.alerts_escalate_due(now=T0 + 15 * MINUTE)
    sent = set(OutboundMessage.objects.values_list("channel", "to"))
    assert sent == {
        ("email", team.admin.user.email),
        ("sms", team.admin.user.mobile_phone),
        ("email", team.prescriber.user.email),
        ("email", team.prescriber_off_call.user.email),
        ("sms", team.prescriber_off_call.user.mobile_phone),
    }


def test_the_scheduler_tick_escalates(team: Team, patient: Patient) -> None:
    raise_alert(team, patient)
    assert services.scheduler_tick(now=T0 + 14 * MINUTE)["escalations"] == 0
    assert services.scheduler_tick(now=T0 + 15 * MINUTE)["escalations"] == 1
    assert services.scheduler_tick(now=T0 + 16 * MINUTE)["escalations"] == 0


def test_the_escalation_gives_the_time_on_the_clinics_clock(other_team: Team) -> None:
    other_team.clinic.time_zone = "America/New_York"
    other_team.clinic.save()
    patient = register(other_team.nurse, mrn="NY-1")
    raise_alert(other_team, patient)  # 08:00 UTC: 03:00 in New York
    services.alerts_escalate_due(now=T0 + 15 * MINUTE)
    bodies = {m.body for m in OutboundMessage.objects.all()}
    assert len(bodies) == 1
    assert "raised 03:00" in bodies.pop()
