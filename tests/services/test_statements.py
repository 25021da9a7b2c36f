"""Statements compiled once (ketacare.common.statements) give what the ORM gives: the same
rows with the same values on each database, and inserted rows the ORM reads back equal."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership
from ketacare.common.statements import Param, Select, insert_rows
from ketacare.patients.models import BodyMeasurement, Patient
from tests.factories import BodyMeasurementFactory, ClinicFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _measurements(patient: Any, since: Any) -> QuerySet[BodyMeasurement]:
    return BodyMeasurement.objects.filter(patient_id=patient, measured_on__gte=since).order_by(
        "measured_on"
    )


MEASUREMENTS = Select(
    lambda: _measurements(
        Param("patient", Patient._meta.pk),
        Param("since", BodyMeasurement._meta.get_field("measured_on")),
    )
)


def _fields(row: BodyMeasurement) -> dict[str, object]:
    return {f.attname: getattr(row, f.attname) for f in BodyMeasurement._meta.concrete_fields}


def test_a_select_gives_the_orms_rows_and_values_for_each_call() -> None:
    one, two = PatientFactory.create(), PatientFactory.create()
    day = dt.date(2026, 3, 2)
    for patient, weights in ((one, ("70.5", "71.25")), (two, ("90.0",))):
        for n, weight in enumerate(weights):
            BodyMeasurementFactory.create(
                patient=patient, measured_on=day + dt.timedelta(days=n), weight_kg=Decimal(weight)
            )
    for patient, since in ((one, day), (two, day), (one, day + dt.timedelta(days=1))):
        got = MEASUREMENTS.rows(patient=patient.pk, since=since)
        expected = list(_measurements(patient.pk, since))
        assert [_fields(r) for r in got] == [_fields(r) for r in expected]
        assert all(isinstance(r.weight_kg, Decimal) and not r._state.adding for r in got)
    assert MEASUREMENTS.rows(patient=uuid.uuid4(), since=day) == []


def _joined(patient: Any) -> QuerySet[BodyMeasurement]:
    return (
        BodyMeasurement.objects.select_related("patient__clinic")
        .annotate(clinic_slug=F("clinic__slug"))
        .filter(patient_id=patient)
        .order_by("measured_on")
    )


JOINED = Select(lambda: _joined(Param("patient", Patient._meta.pk)))


def test_a_select_with_related_rows_and_annotations_is_one_query_like_the_orms() -> None:
    patient = PatientFactory.create()
    for day in (3, 1):
        BodyMeasurementFactory.create(patient=patient, measured_on=dt.date(2026, 3, day))
    with CaptureQueriesContext(connection) as queries:
        got = JOINED.rows(patient=patient.pk)
        seen = [
            (r.patient.legal_family_name, r.patient.clinic.slug, r.clinic_slug)  # type: ignore[attr-defined]
            for r in got
        ]
    assert len(queries) == 1
    expected = list(_joined(patient.pk))
    assert [_fields(r) for r in got] == [_fields(r) for r in expected]
    assert seen == [(patient.legal_family_name, patient.clinic.slug, patient.clinic.slug)] * 2


def test_a_select_refuses_what_it_cannot_make() -> None:
    prefetching = Select(lambda: BodyMeasurement.objects.prefetch_related("patient"))
    with pytest.raises(ValueError, match="without prefetching"):
        prefetching.rows()
    values = Select(lambda: BodyMeasurement.objects.values("pk"))  # type: ignore[type-var]
    with pytest.raises(ValueError, match="without prefetching"):
        values.rows()


def test_a_bad_value_is_refused_as_the_orm_refuses_it() -> None:
    with pytest.raises(Exception, match="UUID"):
        MEASUREMENTS.rows(patient="not-a-uuid", since=dt.date(2026, 1, 1))


def test_inserted_rows_read_back_equal_with_their_keys_and_timestamps() -> None:
    patient = PatientFactory.create()
    rows = [
        BodyMeasurement(
            clinic=patient.clinic,
            patient=patient,
            entered_by=patient.created_by,
            measured_on=dt.date(2026, 3, day),
            weight_kg=Decimal("70.4"),
            height_cm=Decimal("170.0"),
        )
        for day in (1, 2)
    ]
    before = timezone.now()
    with transaction.atomic():
        insert_rows(rows)
    for row in rows:
        assert not row._state.adding and row.created_at >= before
        assert _fields(BodyMeasurement.objects.get(pk=row.pk)) == _fields(row)


def test_rows_with_a_database_made_key_get_it_back_in_order() -> None:
    clinic: Clinic = ClinicFactory.create()
    users = [UserFactory.create() for _ in range(3)]
    made = [Membership(user=u, clinic=clinic, role="nurse") for u in users]
    insert_rows(made)
    assert all(m.pk for m in made)
    assert [Membership.objects.get(pk=m.pk).user_id for m in made] == [u.pk for u in users]


class ReadsElsewhere:
    """A router that would send every read to a database that is not there."""

    def db_for_read(self, model: object, **hints: object) -> str:
        return "nowhere"


LOCKED = Select(
    lambda: Patient.objects.select_for_update().filter(pk=Param("patient", Patient._meta.pk))
)


def test_a_locking_select_goes_where_the_writes_go(settings: Any) -> None:
    patient = PatientFactory.create()
    settings.DATABASE_ROUTERS = [f"{__name__}.ReadsElsewhere"]
    with transaction.atomic():
        assert [p.pk for p in LOCKED.rows(patient=patient.pk)] == [patient.pk]
