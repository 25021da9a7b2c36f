"""Past sessions entered from the paper chart, through the same rules as a live session.

A clinic that charted a session on paper enters it afterwards: the booking and the dose
time lie in the past, so each carries the late-entry reason; the prescriber orders the
dose (through the protocol's caps), a second clinician double-checks it, the patient is
checked in with a baseline, enrolled in the REMS for esketamine, and the prescriber
attests supervising before the dose is recorded as given (issue 12). Consent, screening
and (for weight-based protocols) a current weight are the caller's to put on record first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ketacare.accounts.access import ClinicAccess
from ketacare.dosing import services as dosing
from ketacare.dosing.selectors import protocol_definition
from ketacare.patients import services as patients
from ketacare.patients.models import BodyMeasurement, Consent, Patient
from ketacare.treatment import services as treatment
from ketacare.treatment.models import TreatmentSession

PAPER = "Entered from the paper chart"
BASELINE = {"systolic": 126, "diastolic": 80, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}


def consent(access: ClinicAccess, patient: Patient, on: dt.date) -> None:
    """The patient's signed treatment consent, dated `on`, unless one granted by then is
    on the chart: every dose needs a current one."""
    if not Consent.objects.filter(
        patient=patient,
        kind=Consent.Kind.TREATMENT,
        decision=Consent.Decision.GRANTED,
        entered_in_error_at__isnull=True,
        decided_on__lte=on,
    ).exists():
        patients.record_add(
            access=access,
            patient_id=patient.pk,
            model=Consent,
            data={
                "kind": "treatment",
                "decision": "granted",
                "document_version": "2026.1",
                "decided_on": on,
            },
        )


def book(
    nurse: ClinicAccess, patient: Patient, start: dt.datetime, protocol: str
) -> TreatmentSession:
    """The booking, entered now (a start in the past keeps the late-entry reason)."""
    return treatment.session_schedule(
        access=nurse,
        patient_id=patient.pk,
        scheduled_start=start,
        protocol_code=protocol,
        reason=PAPER,
    )


def enter_given(
    prescriber: ClinicAccess,
    nurse: ClinicAccess,
    session: TreatmentSession,
    started: dt.datetime,
    dose_mg: Decimal,
    baseline: dict[str, Any] | None = None,
) -> TreatmentSession:
    """A booked session given at `started`, entered from its paper chart."""
    ids: dict[str, Any] = {"patient_id": session.patient_id, "session_id": session.pk}
    protocol = session.protocol_code
    treatment.session_order_set(
        access=prescriber, **ids, protocol_code=protocol, ordered_dose_mg=dose_mg
    )
    treatment.session_order_double_check(access=nurse, **ids)
    treatment.session_transition(access=nurse, **ids, event="check_in")
    esketamine = protocol.startswith("esketamine")
    treatment.assessment_save(
        access=nurse,
        **ids,
        version=1,
        data={"fasting_confirmed": esketamine, "no_decongestant_confirmed": esketamine},
        baseline=baseline or BASELINE,
    )
    if esketamine and not treatment.rems_enrolled(session.patient):
        treatment.rems_enroll(
            access=nurse,
            patient_id=session.patient_id,
            enrolled_on=nurse.clinic.date_of(started),
        )
    treatment.supervisor_attest(access=prescriber, **ids)
    return treatment.session_record_given(
        access=nurse, **ids, dosing_started_at=started, reason=PAPER
    )


def weight_of(patient: Patient) -> Decimal:
    latest = (
        BodyMeasurement.objects.filter(patient=patient, entered_in_error_at=None)
        .filter(weight_kg__isnull=False)
        .order_by("-measured_on")
        .first()
    )
    return latest.weight_kg if latest and latest.weight_kg else Decimal("72.0")


def protocol_dose(prescriber: ClinicAccess, patient: Patient, protocol: str) -> Decimal:
    """The protocol's default dose in mg, as the prescriber's dose calculator gives it from
    the chart's latest weight (and the weight basis it chooses, e.g. for a high BMI)."""
    default = protocol_definition(clinic=prescriber.clinic, code=protocol).default_dose
    result = dosing.dose_preview(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.DoseInput(protocol, default, concentration_mg_per_ml=Decimal("10")),
    )
    return result.dose_mg
