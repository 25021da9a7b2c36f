"""The stored course state (ketacare/outcomes/state.py) and the dashboard's counts
(counts.py): kept up to date by every write that changes a course, in that write's
transaction, and equal to a full rebuild after any sequence of writes (Hypothesis); the
dashboard read from the counts equal to the dashboard counted from the rows; the rebuild
command; what is decided at read time."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ketacare.common.errors import ValidationFailed
from ketacare.dosing import services as dosing
from ketacare.dosing.models import TreatmentPlan
from ketacare.outcomes import services
from ketacare.outcomes.dashboard import Filters, build_dashboard
from ketacare.outcomes.models import (
    CourseInstrumentState,
    CourseState,
    CourseWeekValue,
    OutcomeCount,
)
from ketacare.outcomes.options import JUDGED_INSTRUMENTS
from ketacare.outcomes.state import clinic_state_rebuild
from ketacare.outcomes.worklist import build_worklist
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.measures.conftest import Team, register
from tests.sessions.build import enter_from_paper

from .conftest import at, give, record, write_course
from .plans import make_plan
from .test_maintenance import TWO_WEEK_RELIEF

NOW = at(130)

SKIP = ("id", "course", "computed_at")


def snapshot(clinic: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every stored course with its instrument rows and weekly values, without row ids,
    and the dashboard's counts other than zero, in a fixed order."""
    courses = []
    for state in CourseState.objects.filter(clinic=clinic):
        fields = {
            f.attname: getattr(state, f.attname)
            for f in CourseState._meta.concrete_fields
            if f.name not in SKIP
        }
        instruments = sorted(
            tuple(
                (f.attname, getattr(row, f.attname))
                for f in CourseInstrumentState._meta.concrete_fields
                if f.name not in SKIP
            )
            for row in state.instruments.all()
        )
        weeks = sorted(state.weeks.values_list("instrument", "week", "value"))
        courses.append((sorted(fields.items(), key=str), instruments, weeks))
    cells = OutcomeCount.objects.filter(clinic=clinic).exclude(courses=0)
    counts = sorted(cells.values_list("instrument", "facet", "value", "detail", "courses"))
    return sorted(courses, key=str), counts


SETTINGS = [
    {"primary_instrument": "madrs"},
    {"primary_instrument": "phq9"},
    {"response_reduction_percent": 40},
    {"induction_days": 14},
    {"relapse_rule": "madrs_threshold"},
    {"lead_days": 5},
    {"futility_after_sessions": 2},
]

SCORES = st.tuples(
    st.just("score"),
    st.integers(0, 1),
    st.integers(-10, 110),
    st.integers(0, 24),  # the helpers answer PHQ-9 items 1-8 only
    st.sampled_from(["phq9", "madrs"]),
)
WRITES = st.one_of(
    st.tuples(st.just("course"), st.integers(0, 1), st.integers(0, 60)),
    st.tuples(st.just("session"), st.integers(0, 1), st.integers(0, 100)),
    SCORES,
    SCORES,
    st.tuples(st.just("setting"), st.sampled_from(range(len(SETTINGS)))),
    st.tuples(st.just("event"), st.integers(0, 1), st.integers(0, 110)),
    st.tuples(st.just("event_in_error"), st.integers(0, 1)),
    st.tuples(st.just("dismiss"), st.integers(0, 1)),
    st.tuples(st.just("plan"), st.integers(0, 1)),
    st.tuples(st.just("plan_session"), st.integers(0, 1), st.integers(0, 100)),
    st.tuples(st.just("plan_stop"), st.integers(0, 1)),
    st.tuples(st.just("cancel"), st.integers(0, 1)),
)


def apply_write(team: Team, patients: list[Any], write: tuple[Any, ...]) -> None:
    kind, who, *rest = write
    patient: Any = patients[who] if kind != "setting" else None
    if kind == "course":  # relief lost 14 days after each session: a booster recommended
        write_course(team.nurse, patient, *TWO_WEEK_RELIEF, instrument="phq9", origin=at(rest[0]))
    elif kind == "session":
        give(team.nurse, patient, at(rest[0]))
    elif kind == "score":
        day, total, instrument = rest
        record(team.nurse, patient, at(day, 11), total, instrument=instrument)
    elif kind == "setting":
        services.outcome_settings_update(access=team.prescriber, values=SETTINGS[who])
    elif kind == "event":
        services.clinical_event_record(
            access=team.nurse,
            patient_id=patient.pk,
            kind="hospitalisation",
            occurred_at=at(rest[0], 15),
        )
    elif kind == "event_in_error":
        from ketacare.outcomes.models import ClinicalEvent

        event = ClinicalEvent.objects.filter(
            patient=patient, entered_in_error_at__isnull=True
        ).first()
        if event is not None:
            services.clinical_event_mark_in_error(
                access=team.nurse, patient_id=patient.pk, event_id=event.pk, reason="wrong chart"
            )
    elif kind == "dismiss":
        services.recommendation_dismiss(
            access=team.prescriber, patient_id=patient.pk, reason="keep the schedule", now=NOW
        )
    elif kind == "plan":
        make_plan(team, patient)
    elif kind == "plan_session":
        booked = TreatmentSession.objects.filter(
            plan__patient=patient,
            plan__status=TreatmentPlan.Status.ACTIVE,
            status=TreatmentSession.Status.SCHEDULED,
        ).order_by("plan_number")
        session = booked.first()
        if session is not None:
            enter_from_paper(team.nurse, session, at(rest[0]), dose="56")
    elif kind == "plan_stop":
        plan = TreatmentPlan.objects.filter(
            patient=patient, status=TreatmentPlan.Status.ACTIVE
        ).first()
        if plan is not None:
            dosing.plan_change(
                access=team.prescriber,
                patient_id=patient.pk,
                plan_id=plan.pk,
                changes={"status": "stopped"},
                reason="course over",
            )
    elif kind == "cancel":
        session = TreatmentSession.objects.filter(
            patient=patient, status=TreatmentSession.Status.SCHEDULED
        ).first()
        if session is not None:
            from ketacare.treatment import services as treatment

            treatment.session_cancel(
                access=team.nurse,
                patient_id=patient.pk,
                session_id=session.pk,
                reason="patient unwell",
            )


def apply_writes(team: Team, writes: list[tuple[Any, ...]]) -> None:
    """The writes, in order, to two new patients."""
    patients = [register(team.nurse, mrn=f"HYP-{n}") for n in range(2)]
    for write in writes:
        try:
            apply_write(team, patients, write)
        except ValidationFailed:
            continue  # a write the rules refuse changes nothing


# Courses written over one another: who (patient 0 or 1) and on what day each starts.
OVERLAID_COURSES = [(1, 44), (0, 0), (0, 34), (0, 56), (0, 60), (0, 0)]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(WRITES, min_size=1, max_size=12))
# Found on PostgreSQL: courses written over one another put two scores at the same instant,
# recorded in the same (fixed) instant, which the reads returned in different orders.
@example(writes=[("course", who, day) for who, day in OVERLAID_COURSES])
def test_the_incremental_state_equals_a_full_rebuild(
    team: Team, writes: list[tuple[Any, ...]]
) -> None:
    fix_clock(NOW)
    with transaction.atomic():
        apply_writes(team, writes)
        incremental = snapshot(team.clinic)
        clinic_state_rebuild(team.clinic)
        assert snapshot(team.clinic) == incremental
        transaction.set_rollback(True)


EARLIEST = dt.date(2000, 1, 1)  # a filter that keeps every course: counted from the rows


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    writes=st.lists(WRITES, min_size=1, max_size=10),
    moments=st.lists(st.tuples(st.integers(0, 140), st.integers(0, 23)), min_size=1, max_size=3),
)
@example(writes=[("course", 0, 0), ("course", 1, 20)], moments=[(27, 23), (28, 0), (48, 9)])
def test_the_dashboard_from_the_counts_equals_the_dashboard_from_the_rows(
    team: Team, writes: list[tuple[Any, ...]], moments: list[tuple[int, int]]
) -> None:
    """With no filter the dashboard reads the cells the writes keep; with a filter that
    keeps every course it counts the rows: the two agree at any moment (courses still in
    induction, or just past it), on every instrument."""
    fix_clock(NOW)
    with transaction.atomic():
        apply_writes(team, writes)
        for day, hour in moments:
            for instrument in JUDGED_INSTRUMENTS:
                every = Filters(instrument=instrument)
                kept = replace(every, date_from=EARLIEST)
                from_counts = build_dashboard(
                    team.prescriber, every, at(day, hour), individual_lines=False
                )
                from_rows = build_dashboard(
                    team.prescriber, kept, at(day, hour), individual_lines=False
                )
                assert from_counts == from_rows
        transaction.set_rollback(True)


def test_a_score_updates_the_course_in_its_own_transaction(team: Team, patient: Any) -> None:
    fix_clock(at(60))
    write_course(team.nurse, patient, [0, 3], [(-1, 30), (1, 20)])
    (state,) = CourseState.objects.filter(patient=patient)
    madrs = state.instruments.get(instrument="madrs")
    assert (madrs.baseline, madrs.latest, madrs.nadir) == (30, 20, 20)
    record(team.nurse, patient, at(5), 12)
    madrs = CourseState.objects.get(patient=patient).instruments.get(instrument="madrs")
    assert (madrs.latest, madrs.nadir, madrs.days_to_response) == (12, 12, 5.0)
    assert CourseState.objects.get(patient=patient).sessions == 2


def test_a_settings_change_judges_the_clinics_courses_again(team: Team, patient: Any) -> None:
    fix_clock(at(60))
    write_course(team.nurse, patient, [0, 3], [(-1, 30), (5, 18)])  # 40% reduction
    row = CourseInstrumentState.objects.get(course__patient=patient, instrument="madrs")
    assert row.days_to_response is None
    services.outcome_settings_update(
        access=team.prescriber, values={"response_reduction_percent": 40}
    )
    row = CourseInstrumentState.objects.get(course__patient=patient, instrument="madrs")
    assert row.days_to_response is not None


def test_the_booster_is_stored_as_a_date_and_judged_due_or_overdue_when_read(
    team: Team, patient: Any
) -> None:
    fix_clock(at(50))
    write_course(team.nurse, patient, *TWO_WEEK_RELIEF, instrument="phq9")
    state = CourseState.objects.get(patient=patient)
    assert state.booster_date is not None and "overdue" not in state.booster_reason
    before = build_worklist(team.prescriber, at(47))
    later = build_worklist(team.prescriber, at(50))
    assert [i.kind for i in before.items if i.patient_id == patient.pk] == ["booster_due"]
    (overdue,) = [i for i in later.items if i.patient_id == patient.pk]
    assert overdue.kind == "booster_overdue"
    assert overdue.summary.endswith(f"; overdue since {state.booster_date:%Y-%m-%d}")


def test_the_rebuild_command_recomputes_a_lost_state_with_progress(
    team: Team, patient: Any
) -> None:
    fix_clock(at(60))
    write_course(team.nurse, patient, [0, 3], [(-1, 30), (5, 12)])
    before = snapshot(team.clinic)
    CourseState.objects.all().delete()
    out, err = StringIO(), StringIO()
    call_command("outcomes_rebuild", "--clinic", team.clinic.slug, stdout=out, stderr=err)
    assert snapshot(team.clinic) == before
    assert f"clinic {team.clinic.slug}: 1 courses recomputed" in out.getvalue()
    assert "Outcomes of" in err.getvalue() and "1/1" in err.getvalue()


def test_the_rebuild_command_names_an_unknown_clinic(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No clinic with slug 'nowhere'"):
        call_command("outcomes_rebuild", "--clinic", "nowhere", stdout=StringIO())


def test_a_patient_without_sessions_left_has_no_course_state(team: Team, patient: Any) -> None:
    fix_clock(at(60))
    give(team.nurse, patient, at(0))
    assert CourseState.objects.filter(patient=patient).count() == 1
    # Outside the services (e.g. a correction in the database): the rebuild catches up.
    TreatmentSession.objects.filter(patient=patient).update(status="cancelled")
    clinic_state_rebuild(team.clinic)
    assert not CourseState.objects.filter(patient=patient).exists()


def test_migrate_stores_the_courses_of_a_clinic_that_has_none(team: Team, patient: Any) -> None:
    """A database upgraded from before the stored state: the end of `migrate` fills it, so
    the worklist is never silently empty; a clinic that has state is left alone."""
    from django.core.management.sql import emit_post_migrate_signal

    from ketacare.outcomes.state import rebuild_missing_course_state

    fix_clock(at(60))
    write_course(team.nurse, patient, [0, 3], [(-1, 30), (5, 12)])
    before = snapshot(team.clinic)
    CourseInstrumentState.objects.all().delete()
    CourseState.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert snapshot(team.clinic) == before
    assert rebuild_missing_course_state(verbosity=0) == []


def test_migrate_counts_the_dashboard_of_courses_stored_before_the_counts(
    team: Team, patient: Any
) -> None:
    """A clinic whose courses were stored before the dashboard's counts existed (outcomes
    0006) has them counted from its rows at the end of `migrate`, once."""
    from ketacare.outcomes.state import rebuild_missing_course_state

    fix_clock(at(60))
    write_course(team.nurse, patient, [0, 3], [(-1, 30), (5, 12), (12, 9)])
    before = snapshot(team.clinic)
    OutcomeCount.objects.filter(clinic=team.clinic).delete()
    assert rebuild_missing_course_state(verbosity=0) == [team.clinic.slug]
    assert snapshot(team.clinic) == before
    assert rebuild_missing_course_state(verbosity=0) == []


def test_migrate_adds_the_weekly_values_to_courses_stored_before_them(
    team: Team, patient: Any
) -> None:
    """A clinic whose courses were stored before the weekly values existed (outcomes
    0004) gets them at the end of `migrate`, so its trajectories are not silently empty."""
    from ketacare.outcomes.state import rebuild_missing_course_state

    fix_clock(at(60))
    write_course(team.nurse, patient, [0, 3], [(-1, 30), (5, 12), (12, 9)])
    before = snapshot(team.clinic)
    assert CourseWeekValue.objects.filter(clinic=team.clinic).exists()
    CourseWeekValue.objects.all().delete()
    assert rebuild_missing_course_state(verbosity=0) == [team.clinic.slug]
    assert snapshot(team.clinic) == before


def test_a_new_name_resorts_the_patients_courses_on_the_worklist(team: Team, patient: Any) -> None:
    """The worklist reads its pages in the order of the stored sort name, so a change of
    name recomputes it in the same transaction as the change."""
    from ketacare.patients import services as patients

    fix_clock(at(60))
    write_course(team.nurse, patient, [0, 3], [(-1, 30), (5, 12)])
    assert CourseState.objects.get(patient=patient).sort_name == "moreau, maya"
    changed = {"legal_family_name": "Straße", "preferred_name": "May"}
    patients.patient_update(access=team.nurse, patient_id=patient.pk, data=changed)
    assert CourseState.objects.get(patient=patient).sort_name == "strasse, may"


def test_migrate_adds_the_sort_names_to_courses_stored_before_them(
    team: Team, patient: Any
) -> None:
    """Courses stored before the worklist read its pages in order (outcomes 0005) get
    their due dates and sort names at the end of `migrate`."""
    from ketacare.outcomes.state import rebuild_missing_course_state

    fix_clock(at(60))
    write_course(team.nurse, patient, [0, 3], [(-1, 30), (5, 12)])
    before = snapshot(team.clinic)
    CourseState.objects.update(sort_name="", relapse_due=None, warning_due=None)
    assert rebuild_missing_course_state(verbosity=0) == [team.clinic.slug]
    assert snapshot(team.clinic) == before
