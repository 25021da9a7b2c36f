"""factory_boy factories for test data. They write models directly (no audit rows);
tests of behaviour go through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypeVar

import factory
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership, User
from ketacare.patients.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    Medication,
    Patient,
    PatientRecord,
)

R = TypeVar("R", bound=PatientRecord)


def clinic_today(clinic: Clinic) -> dt.date:
    """Today in the clinic's calendar, as its rules count days (weights, plans, bookings).
    The server's calendar (UTC) is a day behind a clinic east of it for part of the day."""
    return clinic.date_of(timezone.now())


class ClinicFactory(factory.django.DjangoModelFactory[Clinic]):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "Europe/London"
    site_address = "1 Test Street"
    site_city = "Springfield"
    site_state = "IL"
    site_zip = "62701"
    site_phone = "+1 217 555 0100"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name")
    password = factory.django.Password("pw")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = "prescriber"


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"MRN-{n:05d}")
    legal_given_name = factory.Faker("first_name")
    legal_family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=dt.date(1950, 1, 1), end_date=dt.date(2004, 12, 31)
    )
    sex_at_birth = "female"
    created_by = factory.SubFactory(UserFactory)


class _RecordFactory(factory.django.DjangoModelFactory[R]):
    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    entered_by = factory.SubFactory(UserFactory)


class BodyMeasurementFactory(_RecordFactory[BodyMeasurement]):
    class Meta:
        model = BodyMeasurement

    measured_on = factory.LazyAttribute(lambda m: clinic_today(m.patient.clinic))
    weight_kg = Decimal("72.5")
    height_cm = Decimal("170.0")


class AllergyFactory(_RecordFactory[Allergy]):
    class Meta:
        model = Allergy

    substance = "Penicillin"
    reaction = "Rash"
    severity = "moderate"


class MedicationFactory(_RecordFactory[Medication]):
    class Meta:
        model = Medication

    name = "Sertraline"
    dose = "100 mg"
    frequency = "once daily"


class DiagnosisFactory(_RecordFactory[Diagnosis]):
    class Meta:
        model = Diagnosis

    icd10_code = "F33.2"
    description = "Major depressive disorder, recurrent, severe"
