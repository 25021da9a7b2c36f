"""The demo's measurement data tells a story: months of scores on several instruments,
induction then maintenance, relief fading before boosters, responders and not, an open
and an acknowledged safety alert, open links; all in the past, all audited."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import Counter

import pytest
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership
from ketacare.audit.models import AuditEvent
from ketacare.demo.measures_seed import (
    ACKNOWLEDGED_ALERT_PATIENT,
    COURSES,
    CRISIS_RESOURCES,
    OPEN_ALERT_PATIENT,
    OPEN_LINK_PATIENTS,
    STORY_PATIENTS,
)
from ketacare.demo.outcomes_seed import MRN_PREFIX
from ketacare.demo.seed import CLINICS, seed_demo
from ketacare.measures import services
from ketacare.measures.models import (
    MeasurementPlan,
    QuestionnaireResponse,
    SafetyAlert,
    Score,
    SelfReportLink,
)
from ketacare.messaging.models import OutboundMessage
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

pytestmark = pytest.mark.django_db


def phq9(patient: Patient, context: str | None = None) -> list[Score]:
    rows = Score.objects.filter(patient=patient, instrument="phq9").select_related("response")
    if context:
        rows = rows.filter(response__context=context)
    return list(rows.order_by("answered_at"))


def test_the_demo_tells_a_measurement_story() -> None:
    before = timezone.now()
    assert seed_demo() is True
    after = timezone.now()

    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        check_clinic(clinic, before, after)

    # All of it through the services: every response, alert and link is audited.
    for object_type, model in (
        ("questionnaireresponse", QuestionnaireResponse),
        ("safetyalert", SafetyAlert),
        ("selfreportlink", SelfReportLink),
        ("treatmentsession", TreatmentSession),
    ):
        assert (
            AuditEvent.objects.filter(object_type=object_type, action="create").count()
            == model.objects.count()
        ), object_type
    assert AuditEvent.objects.filter(action="acknowledge", object_type="safetyalert").count() == 2

    # The worker's first tick after seeding: nothing already answered is sent again;
    # the open alerts, raised minutes ago, escalate once their 15 minutes are up.
    first = services.scheduler_tick(now=after)
    assert (first["invitations"], first["escalations"]) == (0, 0)
    assert services.scheduler_tick(now=after + dt.timedelta(minutes=15))["escalations"] == 2


def check_clinic(clinic: Clinic, before: dt.datetime, after: dt.datetime) -> None:
    config = clinic.measure_settings
    assert config.crisis_resources == CRISIS_RESOURCES[clinic.slug]
    assert config.alert_escalation_minutes == 15
    default = MeasurementPlan.objects.get(clinic=clinic, patient__isnull=True)
    assert {r.kind for r in default.rules.all()} == {"before_session", "after_session"}
    assert Membership.objects.filter(clinic=clinic, is_on_call=True, role="prescriber").exists()
    assert Membership.objects.filter(
        clinic=clinic, role="clinic_admin", user__mobile_phone__gt=""
    ).exists()

    story = list(Patient.objects.filter(clinic=clinic).order_by("mrn")[:STORY_PATIENTS])
    rest = (
        Patient.objects.filter(clinic=clinic)
        .exclude(pk__in=[p.pk for p in story])
        .exclude(mrn__startswith=MRN_PREFIX)  # the outcome cohort (tests/outcomes)
    )
    # Outside the story, only the CADSS-6 rated during the charted demo sessions.
    others = Score.objects.filter(patient__in=rest).exclude(
        instrument="cadss6", response__session__isnull=False
    )
    assert not others.exists()

    # Nothing is in the future: answers, sessions given, alerts.
    assert not QuestionnaireResponse.objects.filter(clinic=clinic, answered_at__gt=before).exists()
    assert not TreatmentSession.objects.filter(clinic=clinic, dosing_started_at__gt=before).exists()

    kinds = {}
    for index, patient in enumerate(story):
        kinds[patient.pk] = COURSES[index]
        check_patient(patient, COURSES[index], before)

    # The safety story: one open alert from minutes ago, one acknowledged weeks ago.
    open_alert = SafetyAlert.objects.get(clinic=clinic, acknowledged_at__isnull=True)
    assert open_alert.patient == story[OPEN_ALERT_PATIENT]
    assert (open_alert.instrument, open_alert.item_number) == ("phq9", 9)
    assert before - dt.timedelta(minutes=15) < open_alert.raised_at < before
    assert open_alert.escalated_at is None
    done = SafetyAlert.objects.get(clinic=clinic, acknowledged_at__isnull=False)
    assert done.patient == story[ACKNOWLEDGED_ALERT_PATIENT]
    assert done.raised_at < before - dt.timedelta(days=30)
    assert done.acknowledged_at is not None and done.acknowledged_by is not None
    assert dt.timedelta(0) < done.acknowledged_at - done.raised_at < dt.timedelta(minutes=15)
    assert done.acknowledged_by.username == "dr.okafor"
    assert done.action_taken == "contacted_patient"
    assert done.note

    # A few self-report links are open, sent by email or SMS.
    open_links = SelfReportLink.objects.filter(
        clinic=clinic, completed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=after
    )
    assert {link.patient for link in open_links} == {story[i] for i in OPEN_LINK_PATIENTS}
    assert {link.channel for link in open_links} == {"email", "sms"}
    assert OutboundMessage.objects.filter(clinic=clinic, purpose="measure_link").count() == len(
        OPEN_LINK_PATIENTS
    )
    # One patient has a plan of their own, starting next week.
    own = MeasurementPlan.objects.get(clinic=clinic, patient__isnull=False)
    assert own.starts_on > before.date()
    assert {r.kind for r in own.rules.all()} == {
        "every_n_days",
        "before_session",
        "after_session",
        "on_dates",
    }


def check_patient(patient: Patient, kind: str, before: dt.datetime) -> None:
    instruments = Counter(
        Score.objects.filter(patient=patient).values_list("instrument", flat=True)
    )
    assert set(instruments) == {"phq9", "gad7", "qids_sr16", "madrs", "cadss"}
    scores = phq9(patient)
    span = scores[-1].answered_at - scores[0].answered_at
    # Months of history; a non-responder stops treatment after one booster.
    assert span > dt.timedelta(days=90 if kind != "non_responder" else 45), span
    assert [s.response.context for s in scores][:2] == ["baseline", "pre_session"]
    # Before any dosing: the baseline PHQ-9 and the one on arrival for the first session.
    baseline = statistics.mean(s.total or 0 for s in scores[:2])
    assert baseline >= 14

    sessions = list(TreatmentSession.objects.filter(patient=patient).order_by("scheduled_start"))
    given = [s for s in sessions if s.dosing_started_at is not None]
    assert len(given) >= 6
    induction = given[:6]
    assert induction[-1].scheduled_start - induction[0].scheduled_start <= dt.timedelta(days=18)
    gaps = [  # in days, whatever the clocks did in between
        round((b.scheduled_start - a.scheduled_start) / dt.timedelta(days=1))
        for a, b in itertools.pairwise(given[5:])
    ]
    assert all(14 <= gap <= 35 for gap in gaps), gaps
    for session in given:
        assert session.dosing_started_at is not None
        assert session.dosing_started_at > session.scheduled_start
        contexts = set(
            QuestionnaireResponse.objects.filter(session=session).values_list(
                "context", "instrument", "offset_hours"
            )
        )
        assert {
            ("pre_session", "phq9", None),
            ("pre_session", "gad7", None),
            ("post_session", "cadss", 1),
            ("post_session", "phq9", 24),
        } <= contexts
    upcoming = [s for s in sessions if s.status == "scheduled"]
    if kind == "non_responder":
        assert upcoming == []
        assert len(given) <= 7
    else:
        (booked,) = upcoming
        assert booked.scheduled_start > before

    # CADSS: dissociation is strongest in the first sessions.
    cadss = [Score.objects.get(response__session=s, instrument="cadss").total or 0 for s in given]
    assert statistics.mean(cadss[:2]) > statistics.mean(cadss[-2:])

    # The course: where the patient is in the last two months, against the baseline.
    recent = [s.total or 0 for s in scores if s.answered_at > before - dt.timedelta(days=60)]
    level = statistics.median(recent) if recent else scores[-1].total or 0
    if kind == "responder":
        assert level <= baseline - 5, (baseline, level)
    elif kind == "partial":
        assert baseline - 12 <= level <= baseline - 2, (baseline, level)
    else:
        assert level >= baseline - 6, (baseline, level)

    # Relief a day after each session, fading before the next.
    pre = {s.response.session_id: s.total or 0 for s in phq9(patient, "pre_session")}
    post = {s.response.session_id: s.total or 0 for s in phq9(patient, "post_session")}
    first, boosters = given[0].pk, given[6:]
    if kind == "non_responder":
        return
    assert post[first] < pre[first]
    assert pre[given[5].pk] < pre[first]  # the induction course brings the scores down
    assert sum(1 for b in boosters if post[b.pk] < pre[b.pk]) >= 0.75 * len(boosters)
    # Scores drift up between boosters: each pre-booster score is above the previous
    # booster's 24-hour score.
    rises = sum(1 for a, b in itertools.pairwise(boosters) if pre[b.pk] > post[a.pk])
    assert rises >= 0.75 * (len(boosters) - 1), (pre, post)
