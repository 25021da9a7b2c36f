"""Drive sessions through their lifecycle with the services, for tests and fixtures."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, TypedDict

from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission, Role
from ketacare.accounts.services import membership_set
from ketacare.common import clock
from ketacare.patients import services as patients
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import TreatmentSession
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.factories import UserFactory

T0 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC)  # a Monday; London is on UTC in March
# The clock for a test's set-up (screening, weights, plans): the hour before the sessions
# it builds, so that what it writes comes before them.
BEFORE_SESSIONS = T0 - dt.timedelta(hours=1)
BASELINE = {"systolic": 128, "diastolic": 82, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}


def at(minutes: float) -> dt.datetime:
    """Set the test clock `minutes` after T0 and answer that instant."""
    return fix_clock(T0 + dt.timedelta(minutes=minutes))


class SessionIds(TypedDict):
    patient_id: uuid.UUID
    session_id: uuid.UUID


def ids(session: TreatmentSession) -> SessionIds:
    return {"patient_id": session.patient_id, "session_id": session.pk}


def to_pre_dose(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    *,
    protocol: str = "iv_ketamine",
    dose: str = "35",
    baseline: dict[str, Any] | None = None,
) -> TreatmentSession:
    """Screened, weighed, scheduled, ordered and the order double-checked by the nurse,
    checked in, weighed again, baseline recorded: ready for a prescriber."""
    session = checked_in(nurse, prescriber, patient, protocol=protocol, dose=dose)
    services.assessment_save(
        access=nurse,
        **ids(session),
        version=1,
        data={"fasting_confirmed": True, "no_decongestant_confirmed": True},
        weight_kg=Decimal("70.0"),
        baseline=baseline or BASELINE,
    )
    return TreatmentSession.objects.get(pk=session.pk)


def checked_in(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    *,
    protocol: str = "iv_ketamine",
    dose: str = "35",
) -> TreatmentSession:
    """Screened, weighed, scheduled, ordered and double-checked, checked in: the pre-dose
    assessment is still to do."""
    clear_for_protocol(prescriber, patient.pk, protocol)
    weigh(nurse, patient)
    at(0)
    session = services.session_schedule(
        access=nurse, patient_id=patient.pk, scheduled_start=T0, protocol_code=protocol
    )
    order(prescriber, nurse, session, protocol, dose)
    services.session_transition(access=nurse, **ids(session), event="check_in")
    return session


def session_url(name: str, session: TreatmentSession, **extra: str) -> str:
    """The address of a session page (`name`: session_page, session_act, …)."""
    return reverse(
        name,
        kwargs={
            "clinic_slug": session.clinic.slug,
            "patient_id": session.patient_id,
            "session_id": session.pk,
            **extra,
        },
    )


def weigh(nurse: ClinicAccess, patient: Patient, kg: str = "70.0") -> None:
    """The intake weight a weight-based order is calculated from."""
    patients.record_add(
        access=nurse,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={"measured_on": clock.now().date(), "weight_kg": Decimal(kg), "height_cm": 172},
    )


def colleague(access: ClinicAccess, role: Role) -> ClinicAccess:
    """Another member of the same clinic."""
    user = UserFactory.create()
    membership_set(clinic=access.clinic, user=user, role=role, actor=None)
    return ClinicAccess(user=user, clinic=access.clinic, role=role)


def order(
    prescriber: ClinicAccess,
    checker: ClinicAccess,
    session: TreatmentSession,
    protocol: str,
    dose: str,
    **extra: Any,
) -> TreatmentSession:
    """A session order and its independent double-check by a second clinician (a nurse
    colleague, when the caller plays every role, as the API test world does)."""
    if checker.user.pk == prescriber.user.pk:
        checker = colleague(prescriber, Role.NURSE)
    services.session_order_set(
        access=prescriber,
        **ids(session),
        protocol_code=protocol,
        ordered_dose_mg=Decimal(dose),
        **extra,
    )
    return services.session_order_double_check(access=checker, **ids(session))


def ordered_by_a_colleague(access: ClinicAccess, patient: Patient) -> TreatmentSession:
    """Scheduled, with a 56 mg esketamine session order by another prescriber that
    awaits `access`'s double-check."""
    at(0)
    session = services.session_schedule(
        access=access, patient_id=patient.pk, scheduled_start=T0, protocol_code="esketamine_trd"
    )
    return services.session_order_set(
        access=colleague(access, Role.PRESCRIBER),
        **ids(session),
        protocol_code="esketamine_trd",
        ordered_dose_mg=Decimal("56"),
    )


def start_iv(nurse: ClinicAccess, session: TreatmentSession, dose: str = "35") -> None:
    charting.administration_start(
        access=nurse,
        **ids(session),
        dose_mg=Decimal(dose),
        formulation="Ketamine 50 mg/mL in 100 mL NaCl 0.9%",
        concentration_mg_per_ml=Decimal("0.35"),
        lot_number="LOT-IV-1",
        expiry=dt.date(2030, 1, 1),
        pump_rate_ml_per_h=Decimal("150"),
        container_ref="VIAL-0001",
    )


def start_esketamine(nurse: ClinicAccess, session: TreatmentSession) -> None:
    charting.administration_start(
        access=nurse,
        **ids(session),
        dose_mg=Decimal("56"),
        formulation="Spravato 28 mg nasal spray device",
        lot_number="LOT-ESK-9",
        expiry=dt.date(2030, 1, 1),
        container_ref="PACK-0042",
    )


def vitals(nurse: ClinicAccess, session: TreatmentSession, reading_id: str, **values: Any) -> Any:
    return charting.vitals_record(
        access=nurse,
        **ids(session),
        readings=[charting.ReadingIn(reading_id, clock.now(), values)],
    )


# The IV schedule for a 40-min infusion started at T0: every 10 min during it, then every
# 15 min for the hour of observation after it ends (ketacare.treatment.monitoring).
IV_DUE_MIN = (10, 20, 30, 40, 55, 70, 85, 100)


def readings_at(nurse: ClinicAccess, session: TreatmentSession, *minutes: float) -> None:
    """Unremarkable readings at these minutes after T0 (the clock is left at the last)."""
    for minute in minutes:
        at(minute)
        vitals(nurse, session, f"r{minute:g}", systolic=126, diastolic=80, heart_rate=72, spo2=98)


ALL_CLEAR = {
    "vitals_within_thresholds": True,
    "alert_and_oriented": True,
    "walking_steadily": True,
    "sedation_resolved": True,
    "responsible_adult_escort": True,
    "no_driving_acknowledged": True,
}


# --- sessions in a given state (for the API and web registries' test world) -------------


def esketamine_pre_dose(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> TreatmentSession:
    """Pre-dose, every precondition met: REMS enrolled, prescriber on site, assessment at
    version 2. Esketamine is not weight-based, so the start works on any later clock."""
    session = to_pre_dose(nurse, prescriber, patient, protocol="esketamine_trd", dose="56")
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=dt.date(2024, 2, 1))
    services.supervisor_attest(access=prescriber, **ids(session))
    return session


def esketamine_dosing(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> TreatmentSession:
    """Dosing, first of two devices given at T0 + 1 min."""
    session = esketamine_pre_dose(nurse, prescriber, patient)
    at(1)
    start_esketamine(nurse, session)
    return session


def esketamine_discharged(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> TreatmentSession:
    """Discharged after 2 h, with a REMS form whose every field is filled (a draft)."""
    session = esketamine_dosing(nurse, prescriber, patient)
    at(6)
    charting.device_give(access=nurse, **ids(session))
    charting.administration_stop(access=nurse, **ids(session))
    at(41)
    vitals(nurse, session, "r40", systolic=142, diastolic=88, heart_rate=80, spo2=97)
    at(95)
    vitals(nurse, session, "r95", systolic=126, diastolic=80, heart_rate=72, spo2=98)
    _clear_and_discharge(nurse, session, at_minutes=122)
    return session


def iv_ready(nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient) -> TreatmentSession:
    """Ready for discharge after a 40-min infusion and 60 min of observation after it."""
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    readings_at(nurse, session, 10, 20, 30)
    at(40)
    charting.administration_stop(access=nurse, **ids(session), dose_given_mg=Decimal("35"))
    readings_at(nurse, session, 40, 55, 70, 85, 100)
    session.refresh_from_db()
    services.checklist_save(access=nurse, **ids(session), version=session.version, items=ALL_CLEAR)
    services.session_transition(access=nurse, **ids(session), event="mark_ready")
    return TreatmentSession.objects.get(pk=session.pk)


def _clear_and_discharge(nurse: ClinicAccess, session: TreatmentSession, at_minutes: int) -> None:
    session.refresh_from_db()
    services.checklist_save(access=nurse, **ids(session), version=session.version, items=ALL_CLEAR)
    at(at_minutes)
    services.session_transition(access=nurse, **ids(session), event="mark_ready")
    services.session_discharge(access=nurse, **ids(session))


def given(access: ClinicAccess, patient: Patient) -> TreatmentSession:
    """Recorded as given off-system (charted on paper): everything the state machine asks
    is on record, then the session is discharged, awaiting the prescriber's signature.
    A prescriber colleague supervises when `access` is not a prescriber."""
    prescriber = (
        access if access.can(Permission.ORDER_DOSES) else colleague(access, Role.PRESCRIBER)
    )
    session = to_pre_dose(access, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    at(60)
    return services.session_record_given(access=access, **ids(session), dosing_started_at=T0)


PAPER = "Entered from the paper chart"


def record_past(
    access: ClinicAccess,
    patient: Patient,
    start: dt.datetime,
    *,
    dose: str = "56",
    booked_at: dt.datetime | None = None,
    protocol: str = "esketamine_trd",
) -> TreatmentSession:
    """A session given in the past (esketamine unless told), booked now as a late entry
    (for `booked_at`, default `start`) and entered from the paper chart (enter_from_paper)."""
    session = services.session_schedule(
        access=access,
        patient_id=patient.pk,
        scheduled_start=booked_at or start,
        protocol_code=protocol,
        reason=PAPER,
    )
    return enter_from_paper(access, session, start, dose=dose)


def enter_from_paper(
    access: ClinicAccess, session: TreatmentSession, start: dt.datetime, *, dose: str
) -> TreatmentSession:
    """A booked session given at `start` and entered now from the paper chart, with what
    the rules ask: consent and screening, (for IV) a weight, the order double-checked,
    check-in with a baseline, REMS enrollment (esketamine) and a prescriber (`access`, or
    a prescriber colleague when `access` is not one); a late entry has its reason."""
    prescriber = (
        access if access.can(Permission.ORDER_DOSES) else colleague(access, Role.PRESCRIBER)
    )
    patient, protocol = session.patient, session.protocol_code
    clear_for_protocol(prescriber, patient.pk, protocol)
    if protocol == "iv_ketamine":
        weigh(access if access.can(Permission.EDIT_CLINICAL) else prescriber, patient)
    order(prescriber, access, session, protocol, dose)
    services.session_transition(access=access, **ids(session), event="check_in")
    services.assessment_save(
        access=access if access.can(Permission.EDIT_CLINICAL) else prescriber,
        **ids(session),
        version=1,
        data={"fasting_confirmed": True, "no_decongestant_confirmed": True},
        baseline=BASELINE,
    )
    if protocol.startswith("esketamine") and not services.rems_enrolled(patient):
        services.rems_enroll(access=prescriber, patient_id=patient.pk, enrolled_on=start.date())
    services.supervisor_attest(access=prescriber, **ids(session))
    return services.session_record_given(
        access=access, **ids(session), dosing_started_at=start, reason=PAPER
    )


def give_off_system(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    session: TreatmentSession,
    dose: str,
    *,
    protocol: str = "",
    dosing_started_at: dt.datetime | None = None,
) -> TreatmentSession:
    """A booked session (e.g. a plan's), given on its day and recorded as given two hours
    after its start; dosing began at `dosing_started_at` (default its start). The clock
    moves to its start, then see `ready_to_give`."""
    fix_clock(session.scheduled_start)
    ready_to_give(nurse, prescriber, session, dose, protocol=protocol)
    fix_clock(session.scheduled_start + dt.timedelta(hours=2))
    return services.session_record_given(
        access=nurse, **ids(session), dosing_started_at=dosing_started_at or session.scheduled_start
    )


def ready_to_give(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    session: TreatmentSession,
    dose: str,
    *,
    protocol: str = "",
) -> None:
    """On the session's day (the clock): the order (of the session's protocol, or
    `protocol` for a session booked without one) made and double-checked, the patient
    checked in with a baseline, enrolled in the REMS for esketamine, and the prescriber
    attests. The patient is already cleared for the protocol (clear_for_protocol)."""
    protocol = protocol or session.protocol_code
    order(prescriber, nurse, session, protocol, dose)
    services.session_transition(access=nurse, **ids(session), event="check_in")
    services.assessment_save(
        access=nurse,
        **ids(session),
        version=1,
        data={"fasting_confirmed": True, "no_decongestant_confirmed": True},
        baseline=BASELINE,
    )
    if protocol.startswith("esketamine") and not services.rems_enrolled(session.patient):
        services.rems_enroll(
            access=nurse, patient_id=session.patient_id, enrolled_on=clock.now().date()
        )
    services.supervisor_attest(access=prescriber, **ids(session))


def signed(prescriber: ClinicAccess, patient: Patient) -> TreatmentSession:
    session = given(prescriber, patient)
    return services.session_sign(access=prescriber, **ids(session))
