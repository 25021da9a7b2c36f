"""The seeded demo, checked once: both demo clinics are seeded a single time per run (a
module-wide transaction, rolled back at the end, as tests/world_fixtures.py does), and each
test reads the same seeded data in a savepoint of its own.

The seed is written relative to "today", as a demo should be. Here the clock is fixed at
the run's start (tests/clock.py RUN_STARTED) while it seeds and while each test reads,
and the expectations are worked out from that same clock: the checks must hold on any
date, and CI's shifted-clock pass seeds the demo on a weekend, at New Year or on the day
the clocks change.

- Measurements tell a story: months of scores on several instruments, induction then
  maintenance, relief fading before boosters, responders and not, an open and an
  acknowledged safety alert, open links; all in the past, all audited.
- Sessions are fully charted with realistic vital-sign series (a rise that peaks
  mid-infusion and settles), signed; esketamine sessions have a submitted and a
  still-to-submit REMS form; one IV session is under way at Riverside.
- The outcome dashboard shows meaningful numbers and curves from at least 150 synthetic
  courses with varied outcomes, written through the services.
- `audit_verify` passes: every event the seed writes chains correctly, and seeding again
  adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditChainHead, AuditEvent
from ketacare.demo.measures_seed import (
    ACKNOWLEDGED_ALERT_PATIENT,
    COURSES,
    CRISIS_RESOURCES,
    OPEN_ALERT_PATIENT,
    OPEN_LINK_PATIENTS,
    STORY_PATIENTS,
)
from ketacare.demo.outcomes_seed import COHORT_CLINIC, MRN_PREFIX
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
from ketacare.outcomes.dashboard import Filters, build_dashboard
from ketacare.outcomes.models import CourseState
from ketacare.patients.models import Patient
from ketacare.treatment.models import (
    RemsMonitoringForm,
    SessionAlert,
    TreatmentSession,
    VitalReading,
)
from tests.clock import RUN_STARTED, fix_clock, release_clock
from tests.screen_words import crawl

DEMO_NOW = RUN_STARTED


@pytest.fixture(scope="module")
def _seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            fix_clock(DEMO_NOW)
            assert seed_demo() is True
            release_clock()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def seeded(_seeded: None, db: None) -> None:
    """The seeded demo, read at DEMO_NOW; a test's own writes are rolled back after it."""
    fix_clock(DEMO_NOW)


# --- measurement-based care --------------------------------------------------------------


def phq9(patient: Patient, context: str | None = None) -> list[Score]:
    rows = Score.objects.filter(patient=patient, instrument="phq9").select_related("response")
    if context:
        rows = rows.filter(response__context=context)
    return list(rows.order_by("answered_at"))


def test_the_demo_tells_a_measurement_story() -> None:
    before = after = timezone.now()  # the seed ran at this very instant

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

    # The worker's first tick after seeding: nothing already answered is sent again; the
    # only invitations are for booked sessions whose pre-session questionnaire falls due
    # now (which ones depends on the weekday: a Monday session is due on a Sunday).
    # The open alerts, raised minutes ago, escalate once their 15 minutes are up.
    links_before = set(SelfReportLink.objects.values_list("pk", flat=True))
    first = services.scheduler_tick(now=after)
    sent = SelfReportLink.objects.exclude(pk__in=links_before).select_related("session")
    assert first["invitations"] == len(sent)
    for link in sent:
        assert link.context == "pre_session" and link.session is not None, link.schedule_key
        lead = dt.timedelta(hours=link.clinic.measure_settings.pre_session_lead_hours)
        assert link.session.status == "scheduled"
        assert link.session.scheduled_start - lead <= after < link.session.scheduled_start
        assert not QuestionnaireResponse.objects.filter(
            session=link.session, context="pre_session"
        ).exists()
    assert first["escalations"] == 0
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
    # One patient has a plan of their own, starting next week (the clinic's calendar: at
    # 00:10 UTC on a summer Monday it is still Sunday in New York, and Monday is tomorrow).
    own = MeasurementPlan.objects.get(clinic=clinic, patient__isnull=False)
    assert own.starts_on > clinic.date_of(before)
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


# --- treatment sessions ----------------------------------------------------------------


def test_the_demo_has_charted_sessions_and_one_under_way() -> None:
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


def test_the_demo_schedule_has_chairs_and_todays_sessions_in_them() -> None:
    """The board opens on a working day: the live session sits in a chair, and no chair
    holds two sessions at once (ketacare.schedule.core.conflicts, through the services)."""
    from ketacare.schedule.models import Room, SessionPlace

    for slug in ("riverside", "harbour"):
        assert [r.name for r in Room.objects.filter(clinic__slug=slug)] == [
            "Chair 1",
            "Chair 2",
            "Chair 3",
            "Room A",
        ]
    (live,) = TreatmentSession.objects.filter(status="dosing")
    assert SessionPlace.objects.get(session=live).room is not None
    client = Client()
    client.force_login(User.objects.get(username="frontdesk.khan"))
    board = client.get("/c/riverside/schedule/")
    assert board.status_code == 200
    assert b"Dosing" in board.content and b"Chair 1" in board.content


# --- outcomes ---------------------------------------------------------------------------


def test_the_demo_dashboard_has_meaningful_numbers() -> None:
    clinic = Clinic.objects.get(slug=COHORT_CLINIC)
    member = Membership.objects.filter(clinic=clinic, role="prescriber").first()
    assert member is not None
    access = ClinicAccess(user=member.user, clinic=clinic, role=Role.PRESCRIBER)
    board = build_dashboard(access, Filters(), timezone.now(), individual_lines=False)
    assert board.started is not None and board.completed is not None  # never suppressed
    assert board.started >= 150 and board.completed >= 150
    assert board.overall is not None
    response, remission = board.overall.response, board.overall.remission
    assert 0.3 < response.met / response.denominator < 0.95
    assert response.missing > 0  # courses without a baseline are reported as missing
    assert 0.2 < remission.met / remission.denominator < 0.8
    assert board.median_days_to_response is not None
    assert board.durability is not None
    courses, relapses = board.durability.courses, board.durability.relapses
    assert courses is not None and relapses is not None and relapses >= 20
    assert courses - relapses >= 20  # censored too
    assert len(board.weeks) >= 10 and board.weeks[0].median > board.weeks[4].median
    # The cohort's sessions carry their protocol: the filters offer it and narrow by it.
    assert {"iv_ketamine", "esketamine_trd", "im_ketamine"} <= set(board.protocols)
    assert {"iv", "intranasal", "im"} <= set(board.routes)
    nasal = build_dashboard(
        access, Filters(route="intranasal"), timezone.now(), individual_lines=False
    )
    assert nasal.started is not None and 30 <= nasal.started < board.started
    assert board.indications  # from the story patients' treatment plans
    # Written through the services: every session is audited.
    assert (
        AuditEvent.objects.filter(object_type="treatmentsession", action="create").count()
        == TreatmentSession.objects.count()
    )


def test_the_demo_ends_with_course_state_equal_to_a_rebuild() -> None:
    """The seed writes through the services, so the stored course outcomes are already
    those `ketacare outcomes-rebuild` would compute."""
    from ketacare.outcomes.state import clinic_state_rebuild
    from tests.outcomes.test_course_state import snapshot

    for clinic in Clinic.objects.all():
        stored = snapshot(clinic)
        clinic_state_rebuild(clinic)
        assert snapshot(clinic) == stored, clinic.slug
    assert CourseState.objects.filter(clinic__slug=COHORT_CLINIC).count() >= 160


# --- audit trail ------------------------------------------------------------------------


def _seal_heads() -> None:
    """The seed ran in the module's transaction, which never commits, so no anchor was
    sealed after its writes; seal the heads as an upgrade does (`audit-anchor --adopt`
    walks each chain link by link first). The CLI test checks the per-write anchors."""
    call_command("audit_anchor", "--adopt", stdout=StringIO())


def test_audit_verify_passes_on_a_freshly_seeded_demo() -> None:
    total = AuditEvent.objects.count()
    assert total > 0
    _seal_heads()

    out, err = StringIO(), StringIO()
    call_command("audit_verify", "--no-progress", stdout=out, stderr=err)

    output = out.getvalue()
    assert f"Audit trail intact: {total} events verified." in output
    assert "BROKEN" not in err.getvalue()
    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        events = AuditEvent.objects.filter(clinic=clinic).count()
        assert f"OK      clinic {spec.slug}: {events} events" in output
        head = AuditChainHead.objects.get(clinic=clinic)
        assert head.sequence == events


def test_the_demo_ledger_balances_every_given_session_and_lists_one_discrepancy() -> None:
    """Issue 15: every given session balances against the ledger (checked in a few
    queries per clinic; the rule itself on a sample); the daily reconciliation lists
    exactly the seeded count discrepancy; the ledger chain verifies."""
    from collections import defaultdict
    from decimal import Decimal

    from django.db.models import Sum

    from ketacare.accounts.access import ClinicAccess
    from ketacare.accounts.models import User
    from ketacare.accounts.policy import Role
    from ketacare.ledger import reports, services
    from ketacare.ledger.models import Investigation, LedgerEntry
    from ketacare.treatment.models import Administration

    officer = User.objects.get(username="compliance.novak")
    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        given = TreatmentSession.objects.filter(
            clinic=clinic, status__in=TreatmentSession.GIVEN_STATUSES
        ).exclude(status=TreatmentSession.Status.DOSING)
        sums: dict[object, dict[str, Decimal]] = defaultdict(dict)
        for row in (
            LedgerEntry.objects.filter(clinic=clinic, session__isnull=False)
            .values("session_id", "kind")
            .annotate(total=Sum("quantity_mg"))
        ):
            sums[row["session_id"]][row["kind"]] = row["total"]
        doses = dict(
            Administration.objects.filter(clinic=clinic).values_list("session_id", "dose_given_mg")
        )
        rows = list(given.values_list("pk", "ordered_dose_mg"))
        assert rows
        for pk, ordered in rows:
            dose, kinds = doses.get(pk) or ordered, sums[pk]
            drawn = kinds.get("withdrawal", 0) - kinds.get("waste", 0)
            assert drawn == dose == kinds.get("administration"), (pk, kinds, dose)
        for session in given.select_related("clinic")[:5]:
            assert services.session_record(session).balanced
        wastes = LedgerEntry.objects.filter(clinic=clinic, kind="waste")
        assert wastes.exists() and not wastes.filter(witness__isnull=True).exists()
        access = ClinicAccess(user=officer, clinic=clinic, role=Role.COMPLIANCE)
        items = reports.reconciliation_items(access, day=clinic.date_of(DEMO_NOW))
        assert [i.kind for i in items] == ["investigation"]
        assert Investigation.objects.filter(clinic=clinic, status="open").count() == 1
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "Ledger intact" in out.getvalue()


def test_seeding_twice_adds_nothing_and_still_verifies() -> None:
    total = AuditEvent.objects.count()

    assert seed_demo() is False
    assert AuditEvent.objects.count() == total
    _seal_heads()
    out = StringIO()
    call_command("audit_verify", "--no-progress", "--clinic", "harbour", stdout=out)
    assert "Audit trail intact" in out.getvalue()
    assert "riverside" not in out.getvalue()


# --- words on the screens ----------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    [
        "admin",
        "dr.okafor",
        "nurse.lee",
        "therapist.garcia",
        "frontdesk.khan",
        "compliance.novak",
        "researcher.ito",
    ],
)
def test_every_page_a_demo_user_opens_speaks_words_not_codes(username: str) -> None:
    """Labels, not codes; no reference-file sections; rounded figures, on every page the
    role reaches from the clinic's home page (a couple of each kind)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    walk = crawl(client, "/c/riverside/", inside="/c/riverside/")
    assert walk.pages
    assert walk.problems == {}


# --- exchange: FHIR export and the research export of the demo ---------------------------


def test_fhir_export_of_the_demo_validates_line_by_line(tmp_path: Path) -> None:
    """Each PHQ-9 total is an Observation with LOINC 44261-6 derived from its
    QuestionnaireResponse; blood pressure is the 85354-9 panel with 8480-6 and 8462-4.
    The export validates every resource with the R4B models as it builds it; here every
    written line of the smaller clinic, and every fifth of the larger, is read back and
    validated again (all of them would double this test's time)."""
    from fhir.resources.R4B import get_fhir_model_class

    smaller = min(CLINICS, key=lambda spec: Patient.objects.filter(clinic__slug=spec.slug).count())
    for spec in CLINICS:
        out = tmp_path / spec.slug
        call_command("fhir_export", clinic=spec.slug, out=out, no_progress=True, stdout=StringIO())
        responses: set[str] = set()
        totals, panels = [], []
        for path in sorted(out.glob("*.ndjson")):
            model = get_fhir_model_class(path.stem)
            for n, line in enumerate(path.read_text().splitlines()):
                if spec is smaller or n % 5 == 0:
                    model.model_validate_json(line)
                resource = json.loads(line)
                if path.stem == "QuestionnaireResponse":
                    responses.add(resource["id"])
                elif path.stem == "Observation":
                    codes = [c["code"] for c in resource["code"]["coding"]]
                    if "44261-6" in codes:
                        totals.append(resource)
                    if "85354-9" in codes:
                        panels.append(resource)
        assert totals and panels, spec.slug
        for total in totals:
            assert total["category"][0]["coding"][0]["code"] == "survey"
            assert total["derivedFrom"][0]["reference"].split("/")[1] in responses
        for panel in panels:
            components = [c["code"]["coding"][0]["code"] for c in panel["component"]]
            assert components == ["8480-6", "8462-4"]


def test_research_export_of_the_demo_holds_no_identifier_and_no_small_group(
    tmp_path: Path,
) -> None:
    values: set[str] = set()
    for p in Patient.objects.all():
        values |= {p.legal_given_name, p.legal_family_name, p.preferred_name, p.mrn}
        values |= {p.phone, p.email, p.address, p.date_of_birth.isoformat()}
    # Each date as UTC and as the clinic's calendar has it: either would be a leak.
    for s in TreatmentSession.objects.select_related("clinic"):
        values |= {
            s.scheduled_start.date().isoformat(),
            s.clinic.date_of(s.scheduled_start).isoformat(),
        }
    for score in Score.objects.select_related("clinic"):
        values |= {
            score.answered_at.date().isoformat(),
            score.clinic.date_of(score.answered_at).isoformat(),
        }
    values.discard("")
    for spec in CLINICS:
        out = tmp_path / spec.slug
        call_command("research_export", clinic=spec.slug, out=out, stdout=StringIO())
        text = "\n".join(
            p.read_text() for p in out.glob("*.csv") if p.name != "data_dictionary.csv"
        )
        # The Parquet files too: every string cell, read with pyarrow.
        cells = [
            value
            for path in out.glob("*.parquet")
            if path.name != "data_dictionary.parquet"
            for column in pq.read_table(path).columns
            for value in column.to_pylist()
            if isinstance(value, str)
        ]
        assert cells, spec.slug
        cell_text = "\n".join(cells)
        for value in values:
            found = re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])", re.I)
            assert not found.search(text), value
            assert not found.search(cell_text), value
        rows = list(csv.DictReader(StringIO((out / "patients.csv").read_text())))
        assert rows, spec.slug
        groups = Counter((r["age_band"], r["sex"], r["site"]) for r in rows)
        assert min(groups.values()) >= settings.KETACARE_SMALL_CELL_MIN


def test_some_demo_patients_read_spanish_and_their_links_are_in_spanish() -> None:
    spanish = Patient.objects.filter(preferred_language="es")
    assert spanish.count() >= 3
    links = OutboundMessage.objects.filter(
        patient_id__in=spanish.values("pk"), purpose__in=("measure_link", "measure_reminder")
    )
    assert links.exists()
    assert all(m.subject.startswith("Cuestionario de ") for m in links)
