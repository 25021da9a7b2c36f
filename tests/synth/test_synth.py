"""`ketacare synth`: a synthetic clinic in bulk keeps every invariant the services keep.

Each test fills a small clinic (30 patients) on the test clock and checks one invariant
on what was written: ownership, identity, session lifecycle and times, readings in their
session's window, scores as the scorer makes them, the audit chain (verified, anchored,
one event per row) and the stored course state (equal to a rebuild)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership
from ketacare.accounts.policy import Role
from ketacare.audit import anchors, chain
from ketacare.audit.models import AuditChainHead, AuditEvent
from ketacare.audit.services import audit_record
from ketacare.common import clock
from ketacare.demo.seed import FAMILY, GIVEN_F, GIVEN_M
from ketacare.demo.synth import Outcome, Volumes, synthesise
from ketacare.measures import score
from ketacare.measures.models import QuestionnaireResponse, Score
from ketacare.outcomes.models import CourseInstrumentState, CourseState
from ketacare.outcomes.state import clinic_state_rebuild
from ketacare.patients.models import Patient
from ketacare.patients.search import digits_of, searchable_text
from ketacare.treatment import lifecycle
from ketacare.treatment.models import TreatmentSession, VitalReading
from ketacare.treatment.monitoring import Thresholds, evaluate
from ketacare.treatment.services import as_reading

pytestmark = pytest.mark.django_db

PATIENTS = 30
S = TreatmentSession.Status
Synth = Callable[..., Outcome]


@pytest.fixture
def synth(django_capture_on_commit_callbacks: Any) -> Synth:
    """synthesise(), with the anchor sealed as its transaction's commit would."""

    def run(slug: str = "synth", patients: int = PATIENTS, seed: int = 5, **kw: Any) -> Outcome:
        with django_capture_on_commit_callbacks(execute=True):
            return synthesise(slug=slug, patients=patients, seed=seed, **kw)

    return run


@pytest.fixture
def filled(synth: Synth) -> Outcome:
    return synth()


def test_the_command_fills_a_new_clinic_with_staff_who_can_open_it(
    django_capture_on_commit_callbacks: Any,
) -> None:
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "synth",
            "--clinic",
            "big",
            "--patients",
            "12",
            "--seed",
            "3",
            "--no-progress",
            stdout=out,
        )
    clinic = Clinic.objects.get(slug="big")
    assert not clinic.mfa_required  # a password opens its pages
    roles = set(Membership.objects.filter(clinic=clinic).values_list("role", flat=True))
    assert roles == {Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.NURSE}
    assert Patient.objects.filter(clinic=clinic).count() == 12
    assert "patients.Patient" in out.getvalue() and "big.admin" in out.getvalue()
    with pytest.raises(CommandError, match="already has synthetic patients of seed 3"):
        call_command("synth", "--clinic", "big", "--patients", "1", "--seed", "3", "--no-progress")


def test_every_row_belongs_to_the_clinic(filled: Outcome, other_clinic: Clinic) -> None:
    clinic = filled.clinic
    patients = set(Patient.objects.values_list("pk", flat=True))
    assert Patient.objects.filter(clinic=clinic).count() == PATIENTS == len(patients)
    for model in (TreatmentSession, QuestionnaireResponse, Score):
        rows = model.objects.all()
        assert rows.exists()
        assert not rows.exclude(clinic=clinic).exists(), model
        assert not rows.exclude(patient__clinic=clinic).exists(), model
    readings = VitalReading.objects.all()
    assert readings.exists()
    assert not readings.exclude(clinic=clinic).exclude(session__clinic=clinic).exists()
    assert not Score.objects.exclude(response__patient_id=F("patient_id")).exists()
    events = AuditEvent.objects.exclude(patient_id=None)
    assert set(events.values_list("patient_id", flat=True)) == patients
    assert not events.exclude(clinic=clinic).exists()
    assert not AuditEvent.objects.filter(clinic=other_clinic).exists()


def test_mrns_are_unique_and_people_realistic(filled: Outcome) -> None:
    patients = list(Patient.objects.filter(clinic=filled.clinic))
    assert len({p.mrn for p in patients}) == PATIENTS
    today = filled.clinic.today()
    for p in patients:
        assert p.legal_given_name in (GIVEN_F if p.sex_at_birth == "female" else GIVEN_M)
        assert p.legal_family_name in FAMILY
        assert 19 <= (today - p.date_of_birth).days / 365.25 <= 75
        # What Patient.save keeps, which a bulk insert does not run.
        assert p.search_text == searchable_text(
            p.legal_family_name, p.legal_given_name, p.preferred_name, p.mrn
        )
        assert p.phone_digits == digits_of(p.phone)
    assert len({(p.legal_given_name, p.legal_family_name) for p in patients}) > PATIENTS // 2


def _snapshot(clinic: Clinic) -> dict[str, list[tuple[str, ...]]]:
    """The rows as data: all but the run's own stamps and the ids of the clinic and of its
    staff (made anew with the clinic)."""
    skip = {"created_at", "updated_at", "clinic_id", "supervising_prescriber_id"}

    def rows(queryset: Any) -> list[tuple[str, ...]]:
        fields = [
            f.attname
            for f in queryset.model._meta.concrete_fields
            if f.attname not in skip and not f.attname.endswith("_by_id")
        ]
        return sorted(tuple(str(v) for v in row) for row in queryset.values_list(*fields))

    def event(e: AuditEvent) -> tuple[str, ...]:
        changes = {k: v for k, v in e.changes.items() if not k.endswith("_by")}
        return (str(e.occurred_at), e.object_type, e.object_id, e.action, str(changes))

    return {
        "patients": rows(Patient.objects.filter(clinic=clinic)),
        "sessions": rows(TreatmentSession.objects.filter(clinic=clinic)),
        "readings": rows(VitalReading.objects.filter(clinic=clinic)),
        "responses": rows(QuestionnaireResponse.objects.filter(clinic=clinic)),
        "scores": rows(Score.objects.filter(clinic=clinic)),
        "events": sorted(
            event(e) for e in AuditEvent.objects.filter(clinic=clinic).exclude(patient_id=None)
        ),
    }


class _Undo(Exception):
    pass


def _run_and_undo(synth: Synth, seed: int) -> dict[str, list[tuple[str, ...]]]:
    try:
        with transaction.atomic():
            outcome = synth(slug="same", patients=8, seed=seed)
            taken = _snapshot(outcome.clinic)
            raise _Undo
    except _Undo:
        return taken


def test_the_same_seed_gives_the_same_data(synth: Synth) -> None:
    first = _run_and_undo(synth, seed=11)
    again = _run_and_undo(synth, seed=11)
    other = _run_and_undo(synth, seed=12)
    assert first == again
    assert first["patients"] != other["patients"]
    assert all(first[k] for k in first)


def _status_path(clinic: Clinic) -> Iterator[tuple[TreatmentSession, list[list[str]]]]:
    changes = defaultdict(list)
    for event in AuditEvent.objects.filter(clinic=clinic, object_type="treatmentsession").order_by(
        "sequence"
    ):
        if "status" in event.changes:
            changes[event.object_id].append(event.changes["status"])
    for session in TreatmentSession.objects.filter(clinic=clinic):
        yield session, changes[str(session.pk)]


def _times(session: TreatmentSession, *names: str) -> list[dt.datetime]:
    times = [getattr(session, name) for name in names]
    assert None not in times, dict(zip(names, times, strict=True))
    return times


def test_sessions_are_in_valid_states_with_consistent_times(filled: Outcome) -> None:
    now = clock.now()
    staff = filled.staff
    statuses = set()
    for session, path in _status_path(filled.clinic):
        statuses.add(session.status)
        # Each status change the trail records is a transition of the state machine, from
        # a booked session to the one stored.
        state = lifecycle.State.SCHEDULED
        for before, after in path:
            assert before == state
            assert any(
                state in sources and after == target
                for sources, target in lifecycle.TRANSITIONS.values()
            ), (before, after)
            state = lifecycle.State(after)
        assert state == session.status
        if session.status == S.SIGNED:
            ordered, checked, checked_in, on_site, dosing, signed = _times(
                session,
                "ordered_at",
                "order_checked_at",
                "checked_in_at",
                "supervisor_on_site_at",
                "dosing_started_at",
                "signed_at",
            )
            assert ordered < checked < checked_in <= on_site
            assert checked_in < dosing < signed < now
            assert session.scheduled_start - dt.timedelta(minutes=10) <= checked_in
            assert session.ordered_dose_mg and session.protocol_code
            assert session.signed_by == session.supervising_prescriber == staff.prescriber
            assert session.order_checked_by == staff.nurse
        else:
            assert session.status in (S.CANCELLED, S.NO_SHOW)
            assert session.status_reason
            assert session.dosing_started_at is None and session.checked_in_at is None
            assert not VitalReading.objects.filter(session=session).exists()
    assert S.SIGNED in statuses


def test_readings_lie_in_their_session_window_within_the_limits(filled: Outcome) -> None:
    by_session = defaultdict(list)
    for reading in VitalReading.objects.filter(clinic=filled.clinic).select_related("session"):
        by_session[reading.session_id].append(reading)
    assert len(by_session) == TreatmentSession.objects.filter(status=S.SIGNED).count()
    for readings in by_session.values():
        checked_in, dosing, signed = _times(
            readings[0].session, "checked_in_at", "dosing_started_at", "signed_at"
        )
        baselines = [r for r in readings if r.is_baseline]
        assert len(baselines) == 1
        assert checked_in <= baselines[0].taken_at < dosing
        assert len({r.reading_id for r in readings}) == len(readings)
        for reading in readings:
            assert checked_in <= reading.taken_at <= signed
            # No alert is due: none was made.
            findings = evaluate(
                as_reading(reading), baseline=as_reading(baselines[0]), limits=Thresholds()
            )
            assert findings == [], (reading.taken_at, findings)


def test_scores_are_what_the_scorer_makes_of_the_answers(filled: Outcome) -> None:
    now = clock.now()
    responses = QuestionnaireResponse.objects.filter(clinic=filled.clinic).select_related("score")
    assert responses.count() > PATIENTS * 5
    for response in responses:
        result = score(response.instrument, response.answers)
        row = response.score
        assert not result.findings
        assert response.instrument_version == row.scoring_version == result.version
        assert (row.total, row.severity, row.severity_label) == (
            result.total,
            result.severity or "",
            result.severity_label or "",
        )
        assert row.flags == list(result.flags) and row.reasons == list(result.reasons)
        assert row.subscores == dict(result.subscores) and row.is_current
        assert row.answered_at == response.answered_at < now
        assert row.patient_id == response.patient_id and row.instrument == response.instrument


def _verify(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("audit_verify", "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_audit_chain_verifies_and_is_anchored(filled: Outcome) -> None:
    clinic = filled.clinic
    out, _err = _verify()
    assert f"OK      clinic {clinic.slug}" in out and "not anchored" not in out
    events = list(AuditEvent.objects.filter(clinic=clinic).order_by("sequence"))
    head = AuditChainHead.objects.get(clinic=clinic)
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert (head.sequence, head.last_hash) == (events[-1].sequence, events[-1].hash)
    prev = chain.GENESIS_HASH
    for event in events:  # what audit-verify walks, checked here too
        assert event.prev_hash == prev
        assert event.hash == chain.event_hash(prev, event.chain_payload())
        prev = event.hash
    sealed = anchors.latest(anchors.read()[0])
    assert [(a.clinic_id, a.sequence, a.head_hash) for a in sealed] == [
        (clinic.pk, head.sequence, head.last_hash)
    ]


def test_every_row_has_its_audit_event(filled: Outcome) -> None:
    clinic = filled.clinic
    audited = defaultdict(set)
    for object_type, object_id in AuditEvent.objects.filter(clinic=clinic).values_list(
        "object_type", "object_id"
    ):
        audited[object_type].add(object_id)
    for object_type, model in (
        ("patient", Patient),
        ("treatmentsession", TreatmentSession),
        ("vitalreading", VitalReading),
        ("questionnaireresponse", QuestionnaireResponse),
    ):
        ids = {str(pk) for pk in model.objects.filter(clinic=clinic).values_list("pk", flat=True)}
        assert ids == audited[object_type], object_type


def test_synth_continues_a_clinic_chain_already_started(
    synth: Synth, make_access: Callable[..., ClinicAccess], django_capture_on_commit_callbacks: Any
) -> None:
    access = make_access(Role.CLINIC_ADMIN)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit_record(actor=access.user, clinic=access.clinic, action="view", object_type="x")
    before = AuditChainHead.objects.get(clinic=access.clinic).sequence
    outcome = synth(slug=access.clinic.slug, patients=5)
    assert outcome.clinic == access.clinic
    assert outcome.staff.admin == access.user  # the clinic's own administrator
    assert AuditChainHead.objects.get(clinic=access.clinic).sequence > before
    out, _err = _verify("--clinic", access.clinic.slug)
    assert "Audit trail intact" in out and "not anchored" not in out
    # A later write through the services chains on after the synthetic events.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit_record(actor=access.user, clinic=access.clinic, action="view", object_type="y")
    out, _err = _verify("--clinic", access.clinic.slug)
    assert "Audit trail intact" in out


def _state(clinic: Clinic) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    def values(queryset: Any) -> list[tuple[Any, ...]]:
        skip = {"id", "course_id", "computed_at", "created_at", "updated_at"}
        fields = [f.attname for f in queryset.model._meta.concrete_fields if f.attname not in skip]
        return sorted(tuple(str(v) for v in row) for row in queryset.values_list(*fields))

    return (
        values(CourseState.objects.filter(clinic=clinic)),
        values(CourseInstrumentState.objects.filter(clinic=clinic)),
    )


def test_the_stored_course_state_equals_a_rebuild(filled: Outcome) -> None:
    stored = _state(filled.clinic)
    assert len(stored[0]) >= PATIENTS - 2  # a patient whose sessions were all cancelled
    clinic_state_rebuild(filled.clinic)
    assert _state(filled.clinic) == stored


def test_volumes_per_patient_are_options(synth: Synth) -> None:
    outcome = synth(slug="light", patients=10, volumes=Volumes(sessions=2, readings=0, responses=4))
    clinic = outcome.clinic
    assert not VitalReading.objects.filter(clinic=clinic).exists()
    assert TreatmentSession.objects.filter(clinic=clinic).count() <= 10 * 4
    assert QuestionnaireResponse.objects.filter(clinic=clinic).count() <= 10 * 7
    out, _err = _verify("--clinic", "light")
    assert "Audit trail intact" in out
