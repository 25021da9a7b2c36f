"""A small two-clinic world for the exchange tests: one charted patient per clinic with a
diagnosis, an allergy, a medication, a weight, a PHQ-9, and a session with vitals and an
esketamine administration. Rows are written directly (factories), scores by the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.accounts.services import api_token_create
from ketacare.measures.services import response_record
from ketacare.patients.models import Patient
from ketacare.treatment.models import (
    Administration,
    AdministrationEvent,
    TreatmentSession,
    VitalReading,
)
from tests.factories import (
    AllergyFactory,
    BodyMeasurementFactory,
    DiagnosisFactory,
    MedicationFactory,
    PatientFactory,
)


@dataclass
class Charted:
    access: ClinicAccess
    token: str
    patient: Patient
    session: TreatmentSession
    response_id: str
    score_id: str


def chart(make_access: Callable[..., ClinicAccess], clinic: Clinic) -> Charted:
    access = make_access(Role.PRESCRIBER, clinic)
    _, token = api_token_create(access=access, name="fhir", expires_in_days=30)
    patient = PatientFactory.create(
        clinic=clinic,
        legal_given_name="Ada",
        legal_family_name=f"Quill{clinic.slug[-1]}",
        date_of_birth=dt.date(1961, 4, 2),
        phone="+1 217 555 0199",
        email=f"ada@{clinic.slug}.example",
    )
    DiagnosisFactory.create(patient=patient, onset_date=dt.date(2020, 1, 1))
    AllergyFactory.create(patient=patient)
    MedicationFactory.create(patient=patient, route="oral")
    BodyMeasurementFactory.create(patient=patient, measured_on=clinic.today())
    now = timezone.now()
    session = TreatmentSession.objects.create(
        clinic=clinic,
        patient=patient,
        scheduled_start=now - dt.timedelta(hours=3),
        status=TreatmentSession.Status.SIGNED,
        created_by=access.user,
        checked_in_at=now - dt.timedelta(hours=3),
        dosing_started_at=now - dt.timedelta(hours=2, minutes=30),
        discharged_at=now - dt.timedelta(hours=1),
    )
    VitalReading.objects.create(
        clinic=clinic,
        session=session,
        entered_by=access.user,
        reading_id="r1",
        taken_at=now - dt.timedelta(hours=2),
        systolic=128,
        diastolic=82,
        heart_rate=74,
        spo2=98,
    )
    administration = Administration.objects.create(
        clinic=clinic,
        session=session,
        drug="esketamine",
        route="intranasal",
        formulation="Spravato nasal spray 28 mg",
        lot_number="LOT-42",
        expiry=dt.date(2027, 6, 30),
        dose_ordered_mg=Decimal("56"),
        dose_given_mg=Decimal("56"),
        started_at=now - dt.timedelta(hours=2, minutes=30),
        stopped_at=now - dt.timedelta(hours=2, minutes=20),
        recorded_by=access.user,
    )
    for minutes in (30, 25):
        AdministrationEvent.objects.create(
            clinic=clinic,
            session=session,
            entered_by=access.user,
            administration=administration,
            kind=AdministrationEvent.Kind.DEVICE,
            at=now - dt.timedelta(hours=2, minutes=minutes),
        )
    with transaction.atomic():
        recorded = response_record(
            access=access,
            patient_id=patient.pk,
            instrument="phq9",
            answers=[1, 1, 2, 1, 0, 1, 1, 0, 0, 1],
            context="pre_session",
            answered_at=now - dt.timedelta(hours=4),
        )
    return Charted(
        access=access,
        token=token,
        patient=patient,
        session=session,
        response_id=str(recorded.response.pk),
        score_id=str(recorded.score.pk),
    )
