"""Drive sessions through their lifecycle with the services, for tests and fixtures."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, TypedDict

from ketacare.accounts.access import ClinicAccess
from ketacare.common import clock
from ketacare.patients.models import Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import TreatmentSession

T0 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC)
BASELINE = {"systolic": 128, "diastolic": 82, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}


def at(minutes: float) -> dt.datetime:
    """Set the test clock `minutes` after T0 and answer that instant."""
    moment = T0 + dt.timedelta(minutes=minutes)
    clock.set_for_tests(moment)
    return moment


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
    """Scheduled, ordered, checked in, weighed, baseline recorded: ready for a prescriber."""
    at(0)
    session = services.session_schedule(
        access=nurse, patient_id=patient.pk, scheduled_start=T0, protocol_code=protocol
    )
    services.session_order_set(
        access=prescriber, **ids(session), protocol_code=protocol, ordered_dose_mg=Decimal(dose)
    )
    services.session_transition(access=nurse, **ids(session), event="check_in")
    services.assessment_save(
        access=nurse,
        **ids(session),
        version=1,
        data={"fasting_confirmed": True, "no_decongestant_confirmed": True},
        weight_kg=Decimal("70.0"),
        baseline=baseline or BASELINE,
    )
    return TreatmentSession.objects.get(pk=session.pk)


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


ALL_CLEAR = {
    "vitals_within_thresholds": True,
    "alert_and_oriented": True,
    "walking_steadily": True,
    "sedation_resolved": True,
    "responsible_adult_escort": True,
    "no_driving_acknowledged": True,
}
