"""Dosing services: protocol copies, settings, the calendar, orders and plans; each write
audited in its transaction, refused ones leaving nothing behind."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal as D

import pytest
from django.utils import timezone

from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.dosing import selectors, services
from ketacare.dosing.models import ClinicProtocol, DoseOrder, TreatmentPlan, TreatmentPlanVersion
from ketacare.dosing.services import DoseInput, PlanInput
from ketacare.eligibility import services as eligibility
from ketacare.eligibility.models import Episode
from ketacare.patients.models import BodyMeasurement
from ketacare.treatment import services as treatment
from ketacare.treatment.models import TreatmentSession
from tests.clinical import ANEURYSM_CHECKLIST, CLEAN_CHECKLIST, CURRENT_EPISODE
from tests.clock import advance_clock
from tests.dosing.conftest import Team, next_monday
from tests.factories import PatientFactory
from tests.sessions.build import give_off_system

IV = DoseInput("iv_ketamine", D("0.5"), concentration_mg_per_ml=D("10"))


def events(team: Team, object_type: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(clinic=team.clinic, object_type=object_type).order_by("sequence")
    )


def esketamine_plan(team: Team, **kwargs: object) -> services.PlanResult:
    given = PlanInput(
        indication="major_depression",
        protocol_code="esketamine_trd",
        schedule="label_then_every_2_weeks",
        start_date=next_monday(team.clinic),
        start_dose=D("84"),
    )
    return services.plan_create(
        access=team.prescriber, patient_id=team.patient.pk, given=given, **kwargs
    )


def test_protocol_copy_is_versioned_audited_and_answers_for_the_clinic_only(
    team: Team, other_clinic: object
) -> None:
    shipped = selectors.protocol_definition(clinic=team.clinic, code="iv_ketamine")
    assert (shipped.version, shipped.clinic_copy) == (1, False)
    v2 = services.protocol_adjust(
        access=team.admin,
        code="iv_ketamine",
        overrides={"futility_review_after": 4},
        reason="Our review point",
    )
    v3 = services.protocol_adjust(
        access=team.prescriber,
        code="iv_ketamine",
        overrides={"titration_ceiling": "0.6"},
        reason="Lower ceiling",
    )
    current = selectors.protocol_definition(clinic=team.clinic, code="iv_ketamine")
    assert (v2.version, v3.version, current.version) == (2, 3, 3)
    assert (current.futility_review_after, current.titration_ceiling) == (4, D("0.6"))
    assert ClinicProtocol.objects.filter(clinic=team.clinic).count() == 2
    (first, second) = events(team, "clinicprotocol")
    assert first.changes == {"futility_review_after": [3, 4]}
    assert second.changes == {"titration_ceiling": ["0.75", "0.6"]}
    other = selectors.protocol_definition(clinic=other_clinic, code="iv_ketamine")  # type: ignore[arg-type]
    assert other.version == 1
    with pytest.raises(NotFound):
        selectors.protocol_definition(clinic=team.clinic, code="nope")


def test_protocol_adjustments_are_validated_and_permissioned(team: Team) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.protocol_adjust(
            access=team.admin,
            code="iv_ketamine",
            overrides={"hard_max": "2", "schedules": {}, "dose_min": "x"},
            reason="r",
        )
    assert set(refused.value.errors) == {"overrides.schedules", "overrides.dose_min"}
    with pytest.raises(ValidationFailed) as refused:
        services.protocol_adjust(
            access=team.admin,
            code="esketamine_trd",
            overrides={"home_dosing_allowed": True},
            reason="r",
        )
    assert "overrides.home_dosing_allowed" in refused.value.errors
    with pytest.raises(PermissionDenied):
        services.protocol_adjust(access=team.nurse, code="iv_ketamine", overrides={}, reason="r")
    assert not ClinicProtocol.objects.exists()
    assert not events(team, "clinicprotocol")


def test_an_order_stores_its_calculation_and_supersedes_the_previous(team: Team) -> None:
    first = services.order_create(access=team.prescriber, patient_id=team.patient.pk, given=IV)
    assert first.dose_mg == D("35")
    assert first.result["volume_ml"] == "3.5" and first.result["rate_ml_per_h"] == "5.25"
    assert first.inputs["weight_kg"] == "70.0" and first.inputs["protocol_code"] == "iv_ketamine"
    second = services.order_create(
        access=team.prescriber,
        patient_id=team.patient.pk,
        given=DoseInput("iv_ketamine", D("0.6"), concentration_mg_per_ml=D("10")),
    )
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "active")
    assert second.supersedes == first
    assert [e.changes["dose_mg"] for e in events(team, "doseorder")] == [
        [None, "35.000"],
        ["35.000", "42.000"],
    ]


def test_orders_only_by_prescribers_and_refused_doses_save_nothing(team: Team) -> None:
    with pytest.raises(PermissionDenied):
        services.order_create(access=team.nurse, patient_id=team.patient.pk, given=IV)
    with pytest.raises(ValidationFailed) as refused:
        services.order_create(
            access=team.prescriber,
            patient_id=team.patient.pk,
            given=DoseInput("iv_ketamine", D("0.9"), concentration_mg_per_ml=D("10")),
        )
    assert "maximum of 0.75 mg/kg" in refused.value.errors["dose"][0]
    assert not DoseOrder.objects.exists() and not events(team, "doseorder")


def test_a_stale_weight_is_refused(team: Team) -> None:
    settings = selectors.dosing_settings_for(team.clinic)
    assert settings.weight_max_age_days == 30  # the cited default
    services.dosing_settings_update(access=team.admin, data={"weight_max_age_days": 1})
    # Weighed today: fine.
    services.order_create(access=team.prescriber, patient_id=team.patient.pk, given=IV)
    BodyMeasurement.objects.filter(patient=team.patient).update(
        # Two days before the clinic's today (its calendar, as the rule counts), not the
        # server's: they differ for hours each day where the clinic's zone is not UTC.
        measured_on=team.clinic.date_of(timezone.now()) - dt.timedelta(days=2)
    )
    with pytest.raises(ValidationFailed) as refused:
        services.order_create(access=team.prescriber, patient_id=team.patient.pk, given=IV)
    assert "2 days old" in refused.value.errors["weight_kg"][0]


def test_settings_are_validated_and_audited(team: Team) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.dosing_settings_update(
            access=team.admin, data={"bmi_threshold": "5", "basis_policy": "x", "nope": 1}
        )
    assert set(refused.value.errors) == {"bmi_threshold", "basis_policy", "nope"}
    services.dosing_settings_update(access=team.admin, data={"basis_policy": "actual"})
    assert selectors.dosing_policy(team.clinic).basis_policy == "actual"
    assert events(team, "clinicdosingsettings")[0].changes == {
        "basis_policy": ["ideal_above_bmi", "actual"]
    }
    with pytest.raises(PermissionDenied):
        services.dosing_settings_update(access=team.nurse, data={})


def test_double_check_by_a_second_clinician_only(team: Team) -> None:
    order = services.order_create(access=team.prescriber, patient_id=team.patient.pk, given=IV)
    with pytest.raises(ValidationFailed):
        services.order_double_check(
            access=team.prescriber, patient_id=team.patient.pk, order_id=order.pk
        )
    with pytest.raises(PermissionDenied):
        services.order_double_check(
            access=team.therapist, patient_id=team.patient.pk, order_id=order.pk
        )
    checked = services.order_double_check(
        access=team.nurse, patient_id=team.patient.pk, order_id=order.pk, note="Vial and pump ok"
    )
    assert checked.checked_by == team.nurse.user and checked.checked_at is not None
    with pytest.raises(ValidationFailed):
        services.order_double_check(
            access=team.second_prescriber, patient_id=team.patient.pk, order_id=order.pk
        )
    assert events(team, "doseorder")[-1].changes["checked_by"] == [
        None,
        team.nurse.user.get_username(),
    ]


def test_esketamine_plan_books_the_label_course_on_open_days(team: Team) -> None:
    start = next_monday(team.clinic)
    services.calendar_update(
        access=team.front_desk,
        open_weekdays=[0, 1, 2, 3, 4],
        closures=[{"date": (start + dt.timedelta(days=3)).isoformat(), "reason": "Training"}],
        daily_capacity=None,
    )
    result = esketamine_plan(team)
    days = [s.clinic.date_of(s.scheduled_start) for s in result.sessions]
    assert len(days) == 16 and not result.unplaced
    assert start + dt.timedelta(days=3) not in days
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(days))
    assert [s.planned_dose for s in result.sessions[:3]] == [D("56"), D("84"), D("84")]
    assert {s.plan_id for s in result.sessions} == {result.plan.pk}
    assert TreatmentPlanVersion.objects.get(plan=result.plan).number == 1
    assert len(events(team, "treatmentplan")) == 1
    assert len(events(team, "treatmentsession")) == 16
    # The existing session services still work on plan sessions.
    assert {s.protocol_code for s in result.sessions} == {"esketamine_trd"}  # issue 12 #2
    give_off_system(team.nurse, team.prescriber, result.sessions[0], "56")


def test_plan_refusals_leave_nothing_behind(team: Team) -> None:
    writes_before = AuditEvent.objects.filter(clinic=team.clinic).exclude(action="view").count()
    bad = PlanInput(
        indication="ptsd",
        protocol_code="esketamine_trd",
        schedule="weekly",
        start_date=dt.date(2020, 1, 6),
        start_dose=D("70"),
    )
    with pytest.raises(ValidationFailed) as refused:
        services.plan_create(access=team.prescriber, patient_id=team.patient.pk, given=bad)
    assert set(refused.value.errors) == {"indication", "schedule", "start_dose", "start_date"}
    with pytest.raises(PermissionDenied):
        services.plan_create(access=team.nurse, patient_id=team.patient.pk, given=bad)
    assert not TreatmentPlan.objects.exists() and not TreatmentSession.objects.exists()
    writes_after = AuditEvent.objects.filter(clinic=team.clinic).exclude(action="view").count()
    assert writes_after == writes_before


def test_a_course_is_planned_only_after_a_screening_that_allows_it(team: Team) -> None:
    other = PatientFactory.create(clinic=team.clinic)
    given = PlanInput(
        indication="major_depression",
        protocol_code="esketamine_trd",
        schedule="label_then_every_2_weeks",
        start_date=next_monday(team.clinic),
        start_dose=D("56"),
    )

    def refusal() -> str:
        with pytest.raises(ValidationFailed) as refused:
            services.plan_create(access=team.prescriber, patient_id=other.pk, given=given)
        return refused.value.errors["protocol_code"][0]

    assert refusal().startswith("Screen the patient for")
    eligibility.history_add(
        access=team.prescriber, patient_id=other.pk, model=Episode, data=CURRENT_EPISODE
    )
    advance_clock(minutes=1)
    screening = eligibility.screening_run(
        access=team.prescriber,
        patient_id=other.pk,
        protocol_code="esketamine_trd",
        checklist=CLEAN_CHECKLIST,
    )
    assert screening.outcome == "eligible_with_cautions"  # no resistance history yet
    assert "caution(s) not yet accepted by a prescriber" in refusal()
    advance_clock(minutes=1)
    eligibility.screening_run(
        access=team.prescriber,
        patient_id=other.pk,
        protocol_code="esketamine_trd",
        checklist=ANEURYSM_CHECKLIST,
    )
    assert "not eligible" in refusal()
    assert not TreatmentPlan.objects.filter(patient=other).exists()


def test_a_failure_mid_plan_rolls_everything_back(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = services.audit_as

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "audit_as", failing)
    with pytest.raises(RuntimeError):
        esketamine_plan(team)
    assert not TreatmentPlan.objects.exists() and not TreatmentSession.objects.exists()
    assert not TreatmentPlanVersion.objects.exists()


def test_plan_change_is_versioned_and_replans_sessions_not_given(team: Team) -> None:
    result = esketamine_plan(team)
    plan = result.plan
    changed = services.plan_change(
        access=team.prescriber,
        patient_id=team.patient.pk,
        plan_id=plan.pk,
        changes={"schedule": "label_then_weekly", "start_dose": "56"},
        reason="Tolerability",
    )
    assert changed.plan.version == 2
    assert [v.number for v in TreatmentPlanVersion.objects.filter(plan=plan)] == [1, 2]
    live = TreatmentSession.objects.filter(plan=plan, status="scheduled")
    assert live.count() == 8 + 4 + 8  # weekly from week 9: 8 sessions in the 8 generated weeks
    assert {s.planned_dose for s in live} == {D("56")}
    assert TreatmentSession.objects.filter(plan=plan, status="cancelled").count() == 16
    audit = events(team, "treatmentplan")[-1]
    assert audit.changes["schedule"] == ["label_then_every_2_weeks", "label_then_weekly"]
    assert audit.details["reason"] == "Tolerability"
    stopped = services.plan_change(
        access=team.prescriber,
        patient_id=team.patient.pk,
        plan_id=plan.pk,
        changes={"status": "stopped"},
        reason="Patient's choice",
    )
    assert stopped.plan.status == "stopped"
    assert not TreatmentSession.objects.filter(plan=plan, status="scheduled").exists()
    with pytest.raises(ValidationFailed):
        services.plan_change(
            access=team.prescriber,
            patient_id=team.patient.pk,
            plan_id=plan.pk,
            changes={"protocol_code": "iv_ketamine"},
            reason="x",
        )


def test_a_booster_in_the_plan_does_not_use_up_a_planned_session(team: Team) -> None:
    """A session joined to the plan outside its schedule (an accepted maintenance booster)
    has no plan number: when the plan changes, it must not skip a planned session."""
    plan = esketamine_plan(team).plan
    first = TreatmentSession.objects.filter(plan=plan).order_by("plan_number").first()
    assert first is not None
    given_at = first.scheduled_start
    give_off_system(team.nurse, team.prescriber, first, "56")
    booster = treatment.session_schedule(
        access=team.nurse,
        patient_id=team.patient.pk,
        scheduled_start=given_at + dt.timedelta(days=2),
        protocol_code=plan.protocol_code,
    )
    TreatmentSession.objects.filter(pk=booster.pk).update(plan=plan)
    booster.refresh_from_db()
    give_off_system(team.nurse, team.prescriber, booster, "84")
    assert services.plan_sessions_done(plan) == 1


def test_reschedule_flags_each_violation_and_records_an_override(team: Team) -> None:
    result = esketamine_plan(team)
    first, second = result.sessions[:2]
    next_day = first.scheduled_start + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        services.session_reschedule(
            access=team.front_desk,
            patient_id=team.patient.pk,
            session_id=second.pk,
            scheduled_start=next_day,
        )
    reasons = refused.value.errors["scheduled_start"]
    assert any("1 day(s) from the session on" in r and "Spravato" in r for r in reasons)
    with pytest.raises(ValidationFailed) as not_theirs:
        services.session_reschedule(
            access=team.front_desk,
            patient_id=team.patient.pk,
            session_id=second.pk,
            scheduled_start=next_day,
            override_reason="Patient travels",
        )
    assert "Only a prescriber can" in not_theirs.value.errors["override_reason"][-1]
    moved = services.session_reschedule(
        access=team.prescriber,
        patient_id=team.patient.pk,
        session_id=second.pk,
        scheduled_start=next_day,
        override_reason="Patient travels; prescriber agreed",
    )
    assert moved.schedule_override_reason == "Patient travels; prescriber agreed"
    assert events(team, "treatmentsession")[-1].details["violations"] == ["spacing"]
    # A date breaking no rule needs no reason, and clears an earlier override.
    fine = services.session_reschedule(
        access=team.front_desk,
        patient_id=team.patient.pk,
        session_id=second.pk,
        scheduled_start=first.scheduled_start + dt.timedelta(days=3),
    )
    assert fine.schedule_override_reason == ""


def test_capacity_is_respected_when_set(team: Team) -> None:
    services.calendar_update(
        access=team.admin, open_weekdays=[0, 1, 2, 3, 4], closures=[], daily_capacity=1
    )
    start = next_monday(team.clinic)
    treatment.session_schedule(
        access=team.front_desk,
        patient_id=team.patient.pk,
        scheduled_start=timezone.make_aware(dt.datetime.combine(start, dt.time(14))),
    )
    result = esketamine_plan(team)
    first = result.sessions[0]
    assert first.clinic.date_of(first.scheduled_start) == start + dt.timedelta(days=1)


def test_calendar_validation_and_permission(team: Team) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.calendar_update(
            access=team.admin, open_weekdays=[7], closures=[], daily_capacity=0
        )
    assert set(refused.value.errors) == {"open_weekdays", "daily_capacity"}
    with pytest.raises(ValidationFailed):
        services.calendar_update(
            access=team.admin, open_weekdays=[1], closures=[{"date": "soon"}], daily_capacity=None
        )
    with pytest.raises(PermissionDenied):
        services.calendar_update(
            access=team.nurse, open_weekdays=[1], closures=[], daily_capacity=None
        )


def test_plan_summary_for_the_header(team: Team) -> None:
    assert selectors.plan_summary(patient=team.patient) is None
    esketamine_plan(team)
    summary = selectors.plan_summary(patient=team.patient)
    assert summary is not None
    assert (summary.given, summary.total) == (0, 16)
    assert summary.next_session is not None
