"""One clinic's chart rows -> search entries holding R4B-validated FHIR JSON.

Every query filters on the clinic first (the tenancy rule); `patient_ids`, `row_ids` and
`since` narrow it further in the database. Entries marked entered-in-error are left out.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterator
from typing import Any

from django.db.models import Count, Q, QuerySet

from ketacare.accounts.models import Clinic
from ketacare.exchange import codes as c
from ketacare.exchange import mapping as m
from ketacare.exchange.search import Entry
from ketacare.measures import INSTRUMENTS
from ketacare.measures.models import QuestionnaireResponse, Score
from ketacare.patients.models import Allergy, BodyMeasurement, Diagnosis, Medication, Patient
from ketacare.treatment.models import (
    Administration,
    AdministrationEvent,
    TreatmentSession,
    VitalReading,
)

RESOURCE_TYPES = (
    "Patient",
    "Condition",
    "AllergyIntolerance",
    "MedicationStatement",
    "Encounter",
    "MedicationAdministration",
    "Questionnaire",
    "QuestionnaireResponse",
    "Observation",
)
# Resource types about one patient (the Patient and Group $export cover these).
PATIENT_COMPARTMENT = tuple(t for t in RESOURCE_TYPES if t != "Questionnaire")


def _day(value: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(value, dt.time(), dt.UTC) if value else None


def _codes(resource: dict[str, Any], key: str) -> frozenset[tuple[str, str]]:
    concepts = resource.get(key) or []
    if isinstance(concepts, dict):
        concepts = [concepts]
    return frozenset(
        (coding.get("system", ""), coding.get("code", ""))
        for concept in concepts
        for coding in concept.get("coding", [])
    )


def _entry(resource: Any, *, patient_id: Any, date: dt.datetime | None, **extra: str) -> Entry:
    data = m.as_json(resource)
    updated = data.get("meta", {}).get("lastUpdated")
    return Entry(
        resource_type=data["resourceType"],
        id=data["id"],
        resource=data,
        patient_id=str(patient_id) if patient_id else None,
        date=date,
        last_updated=dt.datetime.fromisoformat(updated) if updated else None,
        codes=_codes(data, "code"),
        categories=_codes(data, "category"),
        extra=extra,
    )


class Scope:
    """What to read: one clinic, optionally some patients, rows, or changes since."""

    def __init__(
        self,
        clinic: Clinic,
        *,
        patient_ids: Collection[str] | None = None,
        row_ids: Collection[str] | None = None,
        since: dt.datetime | None = None,
    ) -> None:
        self.clinic = clinic
        self.patient_ids = patient_ids
        self.row_ids = row_ids
        self.since = since

    def narrow(self, rows: QuerySet[Any], *, patient: str = "patient_id") -> QuerySet[Any]:
        rows = rows.filter(clinic=self.clinic)
        if self.patient_ids is not None:
            rows = rows.filter(**{f"{patient}__in": _uuids(self.patient_ids)})
        if self.row_ids is not None:
            rows = rows.filter(pk__in=_uuids(self.row_ids))
        if self.since is not None:
            field = "updated_at" if hasattr(rows.model, "updated_at") else "created_at"
            rows = rows.filter(**{f"{field}__gte": self.since})
        return rows


def _uuids(values: Collection[str]) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)[:36]))
        except ValueError:
            continue  # a malformed id matches nothing, like a missing one
    return out


def patient_data(p: Patient) -> m.PatientData:
    return m.PatientData(
        id=str(p.pk),
        clinic_slug=p.clinic.slug,
        mrn=p.mrn,
        given=p.legal_given_name,
        family=p.legal_family_name,
        preferred=p.preferred_name,
        birth_date=p.date_of_birth,
        sex_at_birth=p.sex_at_birth,
        phone=p.phone,
        email=p.email,
        address=p.address,
        emergency_name=p.emergency_contact_name,
        emergency_relationship=p.emergency_contact_relationship,
        emergency_phone=p.emergency_contact_phone,
        active=not p.is_archived,
        updated=p.updated_at,
        language=p.preferred_language,
    )


def _patients(scope: Scope) -> Iterator[Entry]:
    rows = scope.narrow(Patient.objects.select_related("clinic"), patient="pk")
    for p in rows.order_by("created_at", "pk"):
        resource = m.patient_resource(patient_data(p))
        yield _entry(
            resource,
            patient_id=p.pk,
            date=_day(p.date_of_birth),
            identifier=p.mrn,
            identifier_system=c.mrn_system(p.clinic.slug),
        )


def condition_data(d: Diagnosis) -> m.ConditionData:
    return m.ConditionData(
        id=str(d.pk),
        patient_id=str(d.patient_id),
        icd10=d.icd10_code,
        description=d.description,
        status=d.status,
        onset=d.onset_date,
        recorded=d.created_at,
        updated=d.updated_at,
    )


def _conditions(scope: Scope) -> Iterator[Entry]:
    for d in scope.narrow(Diagnosis.objects.filter(entered_in_error_at=None)):
        yield _entry(
            m.condition_resource(condition_data(d)),
            patient_id=d.patient_id,
            date=_day(d.onset_date),
        )


def allergy_data(a: Allergy) -> m.AllergyData:
    return m.AllergyData(
        id=str(a.pk),
        patient_id=str(a.patient_id),
        substance=a.substance,
        reaction=a.reaction,
        severity=a.severity,
        status=a.status,
        noted_on=a.noted_on,
        recorded=a.created_at,
        updated=a.updated_at,
    )


def _allergies(scope: Scope) -> Iterator[Entry]:
    for a in scope.narrow(Allergy.objects.filter(entered_in_error_at=None)):
        yield _entry(
            m.allergy_resource(allergy_data(a)),
            patient_id=a.patient_id,
            date=_day(a.noted_on) or a.created_at,
        )


def medication_data(d: Medication) -> m.MedicationData:
    return m.MedicationData(
        id=str(d.pk),
        patient_id=str(d.patient_id),
        name=d.name,
        dose=d.dose,
        frequency=d.frequency,
        route=d.route,
        start=d.start_date,
        stop=d.stop_date,
        status=d.status,
        indication=d.indication,
        recorded=d.created_at,
        updated=d.updated_at,
    )


def _medication_statements(scope: Scope) -> Iterator[Entry]:
    for d in scope.narrow(Medication.objects.filter(entered_in_error_at=None)):
        yield _entry(
            m.medication_statement_resource(medication_data(d)),
            patient_id=d.patient_id,
            date=_day(d.start_date),
        )


def _encounters(scope: Scope) -> Iterator[Entry]:
    for s in scope.narrow(TreatmentSession.objects.all()):
        start = s.checked_in_at or s.dosing_started_at or s.scheduled_start
        data = m.EncounterData(
            id=str(s.pk),
            patient_id=str(s.patient_id),
            status=s.status,
            start=start,
            end=s.discharged_at,
            updated=s.updated_at,
        )
        yield _entry(m.encounter_resource(data), patient_id=s.patient_id, date=start)


def _administrations(scope: Scope) -> Iterator[Entry]:
    rows = scope.narrow(
        Administration.objects.select_related("session").annotate(
            devices=Count(
                "events",
                filter=Q(
                    events__kind=AdministrationEvent.Kind.DEVICE,
                    events__entered_in_error_at=None,
                ),
            )
        ),
        patient="session__patient_id",
    )
    for a in rows:
        data = m.AdministrationData(
            id=str(a.pk),
            patient_id=str(a.session.patient_id),
            encounter_id=str(a.session_id),
            drug=a.drug,
            route=a.route,
            formulation=a.formulation,
            lot_number=a.lot_number,
            expiry=a.expiry,
            dose_mg=a.dose_given_mg if a.dose_given_mg is not None else a.dose_ordered_mg,
            rate_ml_per_h=a.pump_rate_ml_per_h,
            started_at=a.started_at,
            stopped_at=a.stopped_at,
            devices=a.devices,
            updated=a.started_at if a.stopped_at is None else a.stopped_at,
        )
        yield _entry(
            m.medication_administration_resource(data),
            patient_id=a.session.patient_id,
            date=a.started_at,
            encounter=str(a.session_id),
        )


def _questionnaires(scope: Scope) -> Iterator[Entry]:
    for instrument in INSTRUMENTS.values():
        resource = m.questionnaire_resource(instrument)
        if scope.row_ids is not None and c.fhir_id(instrument.code) not in scope.row_ids:
            continue
        yield _entry(resource, patient_id=None, date=None, url=m.questionnaire_url(instrument))


def _responses(scope: Scope) -> Iterator[Entry]:
    rows = scope.narrow(QuestionnaireResponse.objects.filter(instrument__in=INSTRUMENTS))
    for r in rows:
        instrument = INSTRUMENTS[r.instrument]
        data = m.ResponseData(
            id=str(r.pk),
            patient_id=str(r.patient_id),
            instrument=instrument,
            answers=tuple(r.answers),
            answered_at=r.answered_at,
            encounter_id=str(r.session_id) if r.session_id else None,
            amends=r.supersedes_id is not None,
            updated=r.updated_at,
            language=r.language,
        )
        yield _entry(
            m.questionnaire_response_resource(data),
            patient_id=r.patient_id,
            date=r.answered_at,
            questionnaire=m.questionnaire_url(instrument),
            encounter=str(r.session_id or ""),
        )


def _observations(scope: Scope) -> Iterator[Entry]:
    scores = scope.narrow(
        Score.objects.filter(
            is_current=True, total__isnull=False, instrument__in=INSTRUMENTS
        ).select_related("response")
    )
    for s in scores:
        assert s.total is not None
        session = s.response.session_id
        data = m.ScoreData(
            id=str(s.pk),
            patient_id=str(s.patient_id),
            response_id=str(s.response_id),
            instrument=INSTRUMENTS[s.instrument],
            total=s.total,
            severity_label=s.severity_label,
            answered_at=s.answered_at,
            encounter_id=str(session) if session else None,
            updated=s.created_at,
        )
        yield _entry(
            m.score_observation(data),
            patient_id=s.patient_id,
            date=s.answered_at,
            encounter=str(session or ""),
        )
    for b in scope.narrow(BodyMeasurement.objects.filter(entered_in_error_at=None)):
        measurement = m.MeasurementData(
            id=str(b.pk),
            patient_id=str(b.patient_id),
            measured_on=b.measured_on,
            weight_kg=b.weight_kg,
            height_cm=b.height_cm,
            updated=b.updated_at,
        )
        for obs in m.measurement_observations(measurement):
            yield _entry(obs, patient_id=b.patient_id, date=_day(b.measured_on))
    vitals = scope.narrow(
        VitalReading.objects.filter(entered_in_error_at=None).select_related("session"),
        patient="session__patient_id",
    )
    for v in vitals:
        reading = m.VitalData(
            id=str(v.pk),
            patient_id=str(v.session.patient_id),
            encounter_id=str(v.session_id),
            taken_at=v.taken_at,
            systolic=v.systolic,
            diastolic=v.diastolic,
            heart_rate=v.heart_rate,
            spo2=v.spo2,
            respiratory_rate=v.respiratory_rate,
            temperature_c=v.temperature_c,
            updated=v.updated_at,
        )
        for obs in m.vital_observations(reading):
            yield _entry(
                obs, patient_id=v.session.patient_id, date=v.taken_at, encounter=str(v.session_id)
            )


BUILDERS: dict[str, Callable[[Scope], Iterator[Entry]]] = {
    "Patient": _patients,
    "Condition": _conditions,
    "AllergyIntolerance": _allergies,
    "MedicationStatement": _medication_statements,
    "Encounter": _encounters,
    "MedicationAdministration": _administrations,
    "Questionnaire": _questionnaires,
    "QuestionnaireResponse": _responses,
    "Observation": _observations,
}


def entries(resource_type: str, scope: Scope) -> Iterator[Entry]:
    return BUILDERS[resource_type](scope)
