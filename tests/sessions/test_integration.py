"""Sessions meet dose orders and eligibility screening: the dose comes from the
prescriber's order (a session order overrides the standing one, and says so), dosing
waits for a screening that allows the protocol, and screening runs again as the pre-dose
assessment opens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import ValidationFailed
from ketacare.dosing import services as dosing
from ketacare.dosing.models import DoseOrder
from ketacare.eligibility import services as eligibility
from ketacare.eligibility.models import ScreeningResult
from ketacare.eligibility.selectors import SessionScreening
from ketacare.patients import services as patients
from ketacare.patients.models import BodyMeasurement, Medication, Patient
from ketacare.treatment import integration, services
from ketacare.treatment.models import TreatmentSession
from tests.clinical import ANEURYSM_CHECKLIST, MAOI, clear_for_protocol
from tests.factories import clinic_today
from tests.sessions.build import (
    T0,
    at,
    ids,
    order,
    start_esketamine,
    start_iv,
    to_pre_dose,
)

pytestmark = pytest.mark.django_db

ESK = "esketamine_trd"


def ready_but_for_screening(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, protocol: str = ESK
) -> TreatmentSession:
    """Scheduled, ordered and double-checked, checked in, assessed, REMS enrolled,
    prescriber on site."""
    at(0)
    session = services.session_schedule(
        access=nurse, patient_id=patient.pk, scheduled_start=T0, protocol_code=protocol
    )
    order(prescriber, nurse, session, protocol, "56")
    services.session_transition(access=nurse, **ids(session), event="check_in")
    services.assessment_save(
        access=nurse,
        **ids(session),
        version=1,
        data={"fasting_confirmed": True, "no_decongestant_confirmed": True},
        baseline={
            "systolic": 124,
            "diastolic": 80,
            "heart_rate": 70,
            "spo2": 98,
            "respiratory_rate": 14,
        },
    )
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=dt.date(2024, 2, 1))
    services.supervisor_attest(access=prescriber, **ids(session))
    return session


def cleared_then_on_an_maoi(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> TreatmentSession:
    """Cleared for esketamine and ready to dose, then an MAOI is added to the medication
    list: the automatic re-screen raises a blood-pressure caution nobody has accepted."""
    clear_for_protocol(prescriber, patient.pk, ESK)
    session = ready_but_for_screening(nurse, prescriber, patient)
    at(2)  # the nurse learns of the MAOI
    patients.record_add(access=nurse, patient_id=patient.pk, model=Medication, data=MAOI)
    return session


def booked_with_standing_order(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, *, dose: str, protocol: str
) -> TreatmentSession:
    """A standing esketamine order of `dose` mg, then a session booked for `protocol`."""
    dosing.order_create(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.DoseInput(protocol_code=ESK, dose=Decimal(dose)),
    )
    at(0)
    return services.session_schedule(
        access=nurse, patient_id=patient.pk, scheduled_start=T0, protocol_code=protocol
    )


def test_dosing_waits_for_a_screening_of_the_protocol(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = ready_but_for_screening(nurse, prescriber, patient)
    with pytest.raises(ValidationFailed) as exc:
        start_esketamine(nurse, session)
    assert "dosing cannot start: the latest eligibility screening found the patient not" in str(
        exc.value
    )
    assert "No current episode with an indication is recorded" in str(exc.value)
    at(2)  # the prescriber records the episode and screens the patient
    clear_for_protocol(prescriber, patient.pk, ESK)
    start_esketamine(nurse, session)
    assert TreatmentSession.objects.get(pk=session.pk).status == "dosing"


def test_without_any_screening_the_refusal_says_so(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = ready_but_for_screening(nurse, prescriber, patient)
    ScreeningResult.objects.filter(patient=patient).delete()  # as before screening existed
    allows, why = integration.screening_allows(session)
    assert (allows, why) == (False, "the patient has not been screened for this protocol")


def test_an_absolute_contraindication_blocks_dosing_with_its_reason(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    clear_for_protocol(prescriber, patient.pk, ESK)
    session = ready_but_for_screening(nurse, prescriber, patient)
    at(2)  # the prescriber screens again, learning of an aneurysm
    eligibility.screening_run(
        access=prescriber,
        patient_id=patient.pk,
        protocol_code=ESK,
        checklist=ANEURYSM_CHECKLIST,
    )
    with pytest.raises(ValidationFailed) as exc:
        start_esketamine(nurse, session)
    assert "not eligible: Aneurysmal vascular disease" in str(exc.value)


def test_a_new_medicine_raises_a_caution_that_blocks_until_accepted(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = cleared_then_on_an_maoi(nurse, prescriber, patient)
    screening = integration.screening_of(session)
    assert [c["code"] for c in screening.new_cautions] == [
        c["code"] for c in screening.open_cautions
    ]
    assert screening.new_cautions, "the MAOI caution is new since the clearance"
    with pytest.raises(ValidationFailed) as exc:
        start_esketamine(nurse, session)
    assert "a prescriber has not accepted the screening's cautions" in str(exc.value)
    assert screening.latest is not None
    for caution in screening.open_cautions:
        eligibility.caution_accept(
            access=prescriber,
            patient_id=patient.pk,
            screening_id=screening.latest.pk,
            code=caution["code"],
            justification="Blood pressure watched every 10 minutes; benefit outweighs risk.",
        )
    start_esketamine(nurse, session)
    assert TreatmentSession.objects.get(pk=session.pk).status == "dosing"


def test_opening_the_assessment_screens_again_and_audits_it(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    clear_for_protocol(prescriber, patient.pk, ESK)
    before = ScreeningResult.objects.filter(patient=patient).count()
    session = ready_but_for_screening(nurse, prescriber, patient)
    rerun = ScreeningResult.objects.filter(patient=patient).order_by("-created_at").first()
    assert ScreeningResult.objects.filter(patient=patient).count() == before + 1
    assert rerun is not None
    assert (rerun.trigger, rerun.protocol_code, rerun.screened_by) == (
        "before_session",
        ESK,
        nurse.user,
    )
    assert AuditEvent.objects.filter(
        object_type="screeningresult", object_id=str(rerun.pk), details__trigger="before_session"
    ).exists()
    assert integration.screening_allows(session) == (
        True,
        "the latest eligibility screening allows this protocol",
    )


def test_the_dose_comes_from_the_standing_order_without_a_session_order(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    clear_for_protocol(prescriber, patient.pk, ESK)
    session = booked_with_standing_order(nurse, prescriber, patient, dose="84", protocol=ESK)
    order = DoseOrder.objects.get(patient=patient, status=DoseOrder.Status.ACTIVE)
    found = integration.active_order(session)
    assert found.dose_mg == Decimal("84")
    assert found.standing == order
    assert found.reason == (
        f"standing order: 84 mg ordered by {prescriber.user.get_username()}, not yet double-checked"
    )
    services.session_order_set(
        access=prescriber, **ids(session), protocol_code=ESK, ordered_dose_mg=Decimal("56")
    )
    session.refresh_from_db()
    overridden = integration.active_order(session)
    assert overridden.dose_mg == Decimal("56")
    assert overridden.reason.endswith(
        "overriding the standing order of 84 mg, not yet double-checked"
    )


def test_a_standing_order_for_another_protocol_is_not_this_sessions_dose(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = booked_with_standing_order(
        nurse, prescriber, patient, dose="84", protocol="iv_ketamine"
    )
    assert integration.active_order_dose(session) == (
        None,
        "no dose has been ordered for this protocol",
    )


def test_dosing_against_the_standing_order_starts(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    session.ordered_dose_mg = None  # no session order: only the standing one below
    session.save(update_fields=["ordered_dose_mg"])
    services.supervisor_attest(access=prescriber, **ids(session))
    with pytest.raises(ValidationFailed) as exc:
        start_iv(nurse, session)
    assert "the dose differs from the active order" in str(exc.value)
    at(2)  # measured, then ordered
    patients_height(nurse, patient)
    standing = dosing.order_create(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.DoseInput(
            protocol_code="iv_ketamine",
            dose=Decimal("0.5"),
            concentration_mg_per_ml=Decimal("10"),
            infusion_minutes=40,
        ),
    )
    with pytest.raises(ValidationFailed) as unchecked:
        start_iv(nurse, session, dose="35")
    assert "the order is not yet double-checked by a second clinician" in str(unchecked.value)
    dosing.order_double_check(access=nurse, patient_id=patient.pk, order_id=standing.pk)
    start_iv(nurse, session, dose="35")
    assert TreatmentSession.objects.get(pk=session.pk).status == "dosing"


def patients_height(nurse: ClinicAccess, patient: Patient) -> None:
    """70 kg and 170 cm, measured today (the test clock's): BMI 24.2, so the order is on
    actual weight (35 mg)."""
    patients.record_add(
        access=nurse,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={
            "measured_on": clinic_today(patient.clinic),
            "weight_kg": Decimal("70"),
            "height_cm": Decimal("170"),
        },
    )


def test_the_session_page_shows_the_order_and_the_new_caution(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = cleared_then_on_an_maoi(nurse, prescriber, patient)
    url = reverse(
        "session_page",
        kwargs={
            "clinic_slug": session.clinic.slug,
            "patient_id": patient.pk,
            "session_id": session.pk,
        },
    )
    page = api_client(nurse).get(url).content.decode()
    screening = page[
        page.index('id="screening"') : page.index("</section>", page.index('id="screening"'))
    ]
    assert 'data-screening="refuses"' in screening
    assert "Dosing is blocked: a prescriber has not accepted the screening" in screening
    assert "New since the previous screening" in screening
    assert "Phenelzine (phenelzine, maoi): raises blood pressure" in screening
    assert (
        f'56 mg</strong> <span class="muted">(session order by {prescriber.user.get_username()}, '
        f"double-checked by {nurse.user.get_username()})" in page
    )


def test_a_session_without_a_protocol_says_so_rather_than_not_screened() -> None:
    nothing = SessionScreening(latest=None, open_cautions=[], new_cautions=[])
    assert integration.screening_verdict(nothing, "") == (
        False,
        "no protocol is set for this session: a prescriber orders one",
    )
    assert integration.screening_verdict(nothing, ESK) == (
        False,
        "the patient has not been screened for this protocol",
    )


def test_the_standing_dose_is_shown_without_trailing_zeros(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = booked_with_standing_order(nurse, prescriber, patient, dose="56", protocol=ESK)
    found = integration.active_order(session)
    assert str(found.dose_mg) == "56"  # stored as 56.000
    assert found.standing is not None and str(found.standing.dose_mg) == "56.000"
