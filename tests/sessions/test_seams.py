"""Issue 12, clinical safety at the seams: every session order goes through
calculate_dose and the protocol's caps and needs a second clinician's double-check
(finding 1)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.dosing import services as dosing
from ketacare.dosing.calculator import first_dose_refusal
from ketacare.dosing.protocols import SHIPPED
from ketacare.patients import services as patients
from ketacare.patients.models import Consent, Patient
from ketacare.treatment import integration, lifecycle, services
from ketacare.treatment.models import TreatmentSession
from tests.clinical import clear_for_protocol
from tests.sessions.build import (
    BASELINE,
    T0,
    at,
    ids,
    order,
    start_esketamine,
    start_iv,
    to_pre_dose,
    weigh,
)

pytestmark = pytest.mark.django_db

ESK = "esketamine_trd"


def booked(nurse: ClinicAccess, patient: Patient, protocol: str = ESK) -> TreatmentSession:
    at(0)
    return services.session_schedule(
        access=nurse, patient_id=patient.pk, scheduled_start=T0, protocol_code=protocol
    )


def refusal(
    prescriber: ClinicAccess, session: TreatmentSession, protocol: str, dose: str
) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as exc:
        services.session_order_set(
            access=prescriber,
            **ids(session),
            protocol_code=protocol,
            ordered_dose_mg=Decimal(dose),
        )
    session.refresh_from_db()
    assert session.ordered_dose_mg is None  # nothing saved half-way
    return exc.value.errors


def test_112_mg_of_esketamine_is_refused_naming_the_field_and_the_label_cap(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    errors = refusal(prescriber, booked(nurse, patient), ESK, "112")
    assert list(errors) == ["ordered_dose_mg"]
    assert "above this protocol's maximum of 84 mg" in errors["ordered_dose_mg"][0]


def test_300_mg_iv_for_70_kg_is_4_3_mg_per_kg_and_refused(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    weigh(nurse, patient)
    errors = refusal(prescriber, booked(nurse, patient, "iv_ketamine"), "iv_ketamine", "300")
    assert "300 mg is 4.29 mg/kg for 70.0 kg" in errors["ordered_dose_mg"][0]
    assert "maximum of 0.75 mg/kg" in errors["ordered_dose_mg"][0]


def test_a_weight_based_session_order_needs_a_weight(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    errors = refusal(prescriber, booked(nurse, patient, "iv_ketamine"), "iv_ketamine", "35")
    assert list(errors) == ["weight_kg"]


def test_the_clinics_mg_ceiling_applies_to_session_orders(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    dosing.dosing_settings_update(access=prescriber, data={"mg_ceilings": {ESK: "56"}})
    errors = refusal(prescriber, booked(nurse, patient), ESK, "84")
    assert "above the clinic's ceiling of 56 mg" in errors["ordered_dose_mg"][0]
    with pytest.raises(ValidationFailed) as exc:
        dosing.dosing_settings_update(access=prescriber, data={"mg_ceilings": {"nope": "56"}})
    assert list(exc.value.errors) == ["mg_ceilings.nope"]


def test_a_lowered_ceiling_blocks_dosing_on_an_older_order(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    dosing.dosing_settings_update(access=prescriber, data={"mg_ceilings": {"iv_ketamine": "30"}})
    with pytest.raises(ValidationFailed) as exc:
        start_iv(nurse, session)
    assert "dosing cannot start: the dose is refused: 35 mg is above the clinic's ceiling" in str(
        exc.value
    )


def test_a_session_order_waits_for_a_second_clinicians_double_check(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    clear_for_protocol(prescriber, patient.pk, ESK)
    session = to_pre_dose(nurse, prescriber, patient, protocol=ESK, dose="56")
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=T0.date())
    services.supervisor_attest(access=prescriber, **ids(session))
    services.session_order_set(
        access=prescriber, **ids(session), protocol_code=ESK, ordered_dose_mg=Decimal("56")
    )  # re-ordered: the earlier check no longer counts
    with pytest.raises(ValidationFailed) as exc:
        start_esketamine(nurse, session)
    assert "the order is not yet double-checked by a second clinician" in str(exc.value)
    with pytest.raises(ValidationFailed) as own:
        services.session_order_double_check(access=prescriber, **ids(session))
    assert "someone other than the prescriber" in own.value.errors["checked_by"][0]
    services.session_order_double_check(access=nurse, **ids(session))
    assert AuditEvent.objects.filter(
        object_id=str(session.pk), details__event="order_double_check"
    ).exists()
    start_esketamine(nurse, session)
    assert TreatmentSession.objects.get(pk=session.pk).status == "dosing"


def test_the_api_refuses_an_over_cap_order_and_takes_the_double_check(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = booked(nurse, patient)
    url = f"/api/v1/patients/{patient.pk}/sessions/{session.pk}/order"
    body = {"protocol_code": ESK, "ordered_dose_mg": "112"}
    answer = api_client(prescriber).put(url, json.dumps(body), content_type="application/json")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "ordered_dose_mg"
    body["ordered_dose_mg"] = "56"
    assert api_client(prescriber).put(url, json.dumps(body), "application/json").status_code == 200
    checked = api_client(nurse).post(f"{url}/double-check")
    assert checked.status_code == 200
    assert checked.json()["order_checked_by_id"] == nurse.user.pk


def test_web_order_form_names_the_field(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = booked(nurse, patient)
    slug = session.clinic.slug
    url = f"/c/{slug}/patients/{patient.pk}/sessions/{session.pk}/do/order/"
    answer = api_client(prescriber).post(
        url, {"protocol_code": ESK, "ordered_dose_mg": "112"}, follow=True
    )
    page = answer.content.decode()
    assert "Dose for this session: 112 mg is above this protocol&#x27;s maximum of 84 mg" in page
    assert TreatmentSession.objects.get(pk=session.pk).ordered_dose_mg is None
    assert order(prescriber, nurse, session, ESK, "56").order_checked_at is not None


# --- finding 2: a plan's sessions carry its protocol and standing order ------------------


def planned_course(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> TreatmentSession:
    """An esketamine plan from T0's day with its 56 mg standing order, double-checked."""
    clear_for_protocol(prescriber, patient.pk, ESK)
    result = dosing.plan_create(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.PlanInput(
            indication="major_depression",
            protocol_code=ESK,
            schedule="label_then_weekly",
            start_date=T0.date(),
            start_dose=Decimal("56"),
            session_time=dt.time(10, 0),
        ),
    )
    standing = dosing.order_create(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.DoseInput(ESK, Decimal("56")),
        plan_id=result.plan.pk,
    )
    dosing.order_double_check(access=nurse, patient_id=patient.pk, order_id=standing.pk)
    return result.sessions[0]


def test_a_plan_booked_session_opens_with_the_plans_protocol_and_standing_order(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = planned_course(nurse, prescriber, patient)
    session.refresh_from_db()
    assert session.protocol_code == ESK and session.scheduled_start == T0
    found = integration.active_order(session)
    assert (found.dose_mg, found.checked) == (Decimal("56"), True)
    assert integration.screening_allows(session)[0]
    facts = services.dosing_facts(session, Decimal("56"))
    blockers = lifecycle.dosing_blockers(facts)
    assert not any("protocol" in b for b in blockers), blockers
    page = api_client(nurse).get(
        f"/c/{session.clinic.slug}/patients/{patient.pk}/sessions/{session.pk}/chart/"
    )
    assert "Protocol: Intranasal esketamine (Spravato)" in page.content.decode()
    assert "Protocol: not set" not in page.content.decode()


def test_a_plan_booked_session_is_dosed_on_its_standing_order(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = planned_course(nurse, prescriber, patient)
    at(0)
    services.session_transition(access=nurse, **ids(session), event="check_in")
    services.assessment_save(
        access=nurse,
        **ids(session),
        version=1,
        data={"fasting_confirmed": True, "no_decongestant_confirmed": True},
        baseline=BASELINE,
    )
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=T0.date())
    services.supervisor_attest(access=prescriber, **ids(session))
    start_esketamine(nurse, session)
    assert TreatmentSession.objects.get(pk=session.pk).status == "dosing"


# --- finding 3: the first esketamine TRD session is 56 mg unless a prescriber says why ---


def test_the_first_dose_rule_in_the_pure_core() -> None:
    trd, mdsi = SHIPPED[ESK], SHIPPED["esketamine_mdsi"]
    assert "56 mg" in first_dose_refusal(trd, Decimal("84"), earlier_sessions=0, reason="")
    assert first_dose_refusal(trd, Decimal("56"), earlier_sessions=0, reason="") == ""
    assert first_dose_refusal(trd, Decimal("84"), earlier_sessions=1, reason="") == ""
    assert first_dose_refusal(trd, Decimal("84"), earlier_sessions=0, reason="Tolerated") == ""
    assert first_dose_refusal(mdsi, Decimal("84"), earlier_sessions=0, reason="") == ""


def test_a_first_session_order_of_84_mg_needs_a_reason_which_is_kept_and_shown(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = booked(nurse, patient)
    errors = refusal(prescriber, session, ESK, "84")
    assert "the first session of" in errors["ordered_dose_mg"][0].lower()
    assert "56 mg (Spravato label, section 2.2, day 1)" in errors["ordered_dose_mg"][0]
    why = "Tolerated 84 mg at another clinic last month (letter on file)."
    services.session_order_set(
        access=prescriber,
        **ids(session),
        protocol_code=ESK,
        ordered_dose_mg=Decimal("84"),
        first_dose_reason=why,
    )
    session.refresh_from_db()
    assert session.first_dose_reason == why
    event = AuditEvent.objects.filter(object_id=str(session.pk), details__event="order").get()
    assert event.changes["first_dose_reason"] == ["", why]
    page = api_client(nurse).get(
        f"/c/{session.clinic.slug}/patients/{patient.pk}/sessions/{session.pk}/chart/"
    )
    assert why in page.content.decode()


def test_a_standing_84_mg_order_cannot_open_the_first_session(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    clear_for_protocol(prescriber, patient.pk, ESK)
    standing = dosing.order_create(
        access=prescriber, patient_id=patient.pk, given=dosing.DoseInput(ESK, Decimal("84"))
    )
    dosing.order_double_check(access=nurse, patient_id=patient.pk, order_id=standing.pk)
    session = booked(nurse, patient)
    facts = services.dosing_facts(session, Decimal("84"))
    assert facts.first_dose_refusal.startswith("the first session of")
    assert any("56 mg" in b for b in lifecycle.dosing_blockers(facts))
    earlier = booked(nurse, patient)
    TreatmentSession.objects.filter(pk=earlier.pk).update(status="signed")  # given before
    assert services.dosing_facts(session, Decimal("84")).first_dose_refusal == ""


# --- findings 4 and 5: recording a dose follows the state machine; the booking window ----


@pytest.fixture
def front_desk(clinic: Clinic, make_access: Callable[..., ClinicAccess]) -> ClinicAccess:
    return make_access(Role.FRONT_DESK, clinic)


def test_front_desk_books_checks_in_and_cancels_but_never_records_a_dose_or_discharges(
    front_desk: ClinicAccess, nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = booked(front_desk, patient)
    services.session_transition(access=front_desk, **ids(session), event="check_in")
    with pytest.raises(PermissionDenied):
        services.session_record_given(access=front_desk, **ids(session), dosing_started_at=T0)
    with pytest.raises(PermissionDenied):
        services.session_discharge(access=front_desk, **ids(session))
    services.session_cancel(access=front_desk, **ids(session), reason="Patient unwell")
    assert TreatmentSession.objects.get(pk=session.pk).status == "cancelled"


def test_recording_a_bare_session_as_given_lists_everything_missing(
    nurse: ClinicAccess, patient: Patient
) -> None:
    """Finding 4: a session booked and "recorded as given" with nothing on record."""
    session = booked(nurse, patient, "iv_ketamine")
    with pytest.raises(ValidationFailed) as exc:
        services.session_record_given(access=nurse, **ids(session), dosing_started_at=T0)
    reasons = exc.value.errors["status"]
    for missing in (
        "the patient has no current treatment consent",
        "the patient has not been screened for this protocol",
        "no supervising prescriber is assigned",
        "baseline vital signs are not recorded",
        "the dose differs from the active order",
    ):
        assert any(missing in r for r in reasons), (missing, reasons)
    assert TreatmentSession.objects.get(pk=session.pk).status == "scheduled"


def test_a_withdrawn_treatment_consent_blocks_esketamine_dosing(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    """Finding 5: "No current treatment consent" must not reach dosing."""
    session = to_pre_dose(nurse, prescriber, patient, protocol=ESK, dose="56")
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=T0.date())
    services.supervisor_attest(access=prescriber, **ids(session))
    patients.record_add(
        access=nurse,
        patient_id=patient.pk,
        model=Consent,
        data={
            "kind": "treatment",
            "decision": "withdrawn",
            "document_version": "v1",
            "decided_on": T0.date(),
        },
    )
    with pytest.raises(ValidationFailed) as exc:
        start_esketamine(nurse, session)
    assert exc.value.errors["status"] == [
        "dosing cannot start: the patient has no current treatment consent covering "
        "intranasal (esketamine)"
    ]


def test_a_consent_limited_to_another_form_of_treatment_does_not_cover_esketamine(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    """The consent must be for the form of treatment given: withdrawn for the nasal spray,
    it blocks esketamine even though a later consent grants IV infusions."""
    session = to_pre_dose(nurse, prescriber, patient, protocol=ESK, dose="56")
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=T0.date())
    services.supervisor_attest(access=prescriber, **ids(session))
    consent = {"kind": "treatment", "document_version": "v2", "decided_on": T0.date()}
    patients.record_add(
        access=nurse,
        patient_id=patient.pk,
        model=Consent,
        data={**consent, "decision": "withdrawn", "treatment_form": "intranasal"},
    )
    patients.record_add(
        access=nurse,
        patient_id=patient.pk,
        model=Consent,
        data={**consent, "decision": "granted", "treatment_form": "iv"},
    )
    with pytest.raises(ValidationFailed) as exc:
        start_esketamine(nurse, session)
    assert exc.value.errors["status"] == [
        "dosing cannot start: the patient has no current treatment consent covering "
        "intranasal (esketamine)"
    ]


def test_only_a_treatment_consent_names_a_form_of_treatment(
    nurse: ClinicAccess, patient: Patient
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        patients.record_add(
            access=nurse,
            patient_id=patient.pk,
            model=Consent,
            data={
                "kind": "research",
                "decision": "granted",
                "treatment_form": "iv",
                "document_version": "v1",
                "decided_on": T0.date(),
            },
        )
    assert list(exc.value.errors) == ["treatment_form"]


def test_a_session_given_on_paper_is_recorded_when_everything_is_on_record(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    at(60)
    with pytest.raises(ValidationFailed) as future:
        services.session_record_given(
            access=nurse, **ids(session), dosing_started_at=T0 + dt.timedelta(minutes=61)
        )
    assert list(future.value.errors) == ["dosing_started_at"]
    done = services.session_record_given(access=nurse, **ids(session), dosing_started_at=T0)
    assert (done.status, done.dosing_started_at) == ("discharged", T0)


def test_booking_far_in_the_past_or_future_needs_a_stated_reason(
    nurse: ClinicAccess, patient: Patient, api_client: Callable[[ClinicAccess], Client]
) -> None:
    at(0)
    for when in (dt.datetime(2000, 1, 3, 10, tzinfo=dt.UTC), T0 + dt.timedelta(days=400)):
        with pytest.raises(ValidationFailed) as exc:
            services.session_schedule(access=nurse, patient_id=patient.pk, scheduled_start=when)
        assert list(exc.value.errors) == ["scheduled_start"]
        assert "check the date, or give a reason" in exc.value.errors["scheduled_start"][0]
    late = services.session_schedule(
        access=nurse,
        patient_id=patient.pk,
        scheduled_start=T0 - dt.timedelta(days=3),
        reason="Entering last week's paper record",
    )
    assert late.schedule_override_reason == "Entering last week's paper record"
    url = f"/api/v1/patients/{patient.pk}/sessions"
    answer = api_client(nurse).post(
        url, {"scheduled_start": "2000-01-03T10:00:00Z"}, content_type="application/json"
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "scheduled_start"


def test_a_late_record_of_a_given_session_needs_a_reason(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    at(3 * 24 * 60)  # three days on
    with pytest.raises(ValidationFailed) as exc:
        services.session_record_given(access=nurse, **ids(session), dosing_started_at=T0)
    assert "more than 1 day(s) in the past" in exc.value.errors["dosing_started_at"][0]
