"""Plain chart data -> FHIR R4B resources (fhir.resources models). Pure: no Django.

Each `*_resource` function takes plain dataclasses and returns a validated fhir.resources
R4B model (R4B and R4 agree on every element used here; docs/interoperability.md). The
dataclasses are filled from the database by ketacare.exchange.sources.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.resource import Resource

from ketacare.exchange import codes as c
from ketacare.measures.instruments import Instrument

# ---------------------------------------------------------------- input records


@dataclass(frozen=True)
class PatientData:
    id: str
    clinic_slug: str
    mrn: str
    given: str
    family: str
    preferred: str
    birth_date: dt.date
    sex_at_birth: str
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_name: str = ""
    emergency_relationship: str = ""
    emergency_phone: str = ""
    active: bool = True
    updated: dt.datetime | None = None
    language: str = "en"  # the patient's preferred language (BCP 47)


@dataclass(frozen=True)
class ConditionData:
    id: str
    patient_id: str
    icd10: str
    description: str
    status: str  # active | resolved
    onset: dt.date | None
    recorded: dt.datetime
    updated: dt.datetime | None = None


@dataclass(frozen=True)
class AllergyData:
    id: str
    patient_id: str
    substance: str
    reaction: str
    severity: str  # KetaCare's: mild | moderate | severe | life_threatening | unknown
    status: str  # active | inactive
    noted_on: dt.date | None
    recorded: dt.datetime
    updated: dt.datetime | None = None


@dataclass(frozen=True)
class MedicationData:
    id: str
    patient_id: str
    name: str
    dose: str
    frequency: str
    route: str
    start: dt.date | None
    stop: dt.date | None
    status: str  # active | stopped
    indication: str
    recorded: dt.datetime
    updated: dt.datetime | None = None


@dataclass(frozen=True)
class MeasurementData:
    """A body measurement: weight, and height where it was measured."""

    id: str
    patient_id: str
    measured_on: dt.date
    weight_kg: Decimal
    height_cm: Decimal | None
    updated: dt.datetime | None = None


@dataclass(frozen=True)
class VitalData:
    id: str
    patient_id: str
    encounter_id: str
    taken_at: dt.datetime
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    temperature_c: Decimal | None = None
    updated: dt.datetime | None = None


@dataclass(frozen=True)
class ResponseData:
    id: str
    patient_id: str
    instrument: Instrument
    answers: tuple[Any, ...]
    answered_at: dt.datetime
    encounter_id: str | None = None
    amends: bool = False  # a correction of an earlier response
    updated: dt.datetime | None = None
    language: str = "en"  # the language of the wording answered


@dataclass(frozen=True)
class ScoreData:
    id: str
    patient_id: str
    response_id: str
    instrument: Instrument
    total: int
    severity_label: str
    answered_at: dt.datetime
    encounter_id: str | None = None
    updated: dt.datetime | None = None


@dataclass(frozen=True)
class EncounterData:
    id: str
    patient_id: str
    status: str  # the session's state
    start: dt.datetime
    end: dt.datetime | None
    updated: dt.datetime | None = None


@dataclass(frozen=True)
class AdministrationData:
    id: str
    patient_id: str
    encounter_id: str
    drug: str
    route: str
    formulation: str
    lot_number: str
    expiry: dt.date
    dose_mg: Decimal | None
    rate_ml_per_h: Decimal | None
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    devices: int = 0  # esketamine: nasal-spray devices given
    updated: dt.datetime | None = None


# ---------------------------------------------------------------- helpers


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _concept(*codings: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": list(codings)}
    if text:
        out["text"] = text
    return out


def _ref(resource_type: str, resource_id: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def _instant(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _meta(updated: dt.datetime | None) -> dict[str, Any]:
    return {"lastUpdated": _instant(updated)} if updated else {}


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values, so that no element is sent empty (FHIR forbids that)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = _clean(value)
        elif isinstance(value, list):
            value = [_clean(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in (None, "", {}, [])]
        if value in (None, "", {}, []):
            continue
        out[key] = value
    return out


def _quantity(value: Decimal | int | float, unit: str) -> dict[str, Any]:
    number = float(value) if isinstance(value, Decimal) else value
    return {"value": number, "unit": unit, "system": c.UCUM, "code": unit}


def questionnaire_url(instrument: Instrument) -> str:
    return c.QUESTIONNAIRE_BASE + c.fhir_id(instrument.code)


# ---------------------------------------------------------------- resources

_GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}


def patient_resource(p: PatientData) -> Patient:
    names: list[dict[str, Any]] = [{"use": "official", "family": p.family, "given": [p.given]}]
    if p.preferred and p.preferred != p.given:
        names.append({"use": "usual", "family": p.family, "given": [p.preferred]})
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    contact = []
    if p.emergency_name:
        contact.append(
            {
                "relationship": [{"text": p.emergency_relationship or "Emergency contact"}],
                "name": {"text": p.emergency_name},
                "telecom": [{"system": "phone", "value": p.emergency_phone}]
                if p.emergency_phone
                else [],
            }
        )
    data = {
        "resourceType": "Patient",
        "id": p.id,
        "meta": _meta(p.updated),
        "identifier": [
            {
                "use": "usual",
                "type": _concept(_coding(c.IDENTIFIER_TYPE, "MR", "Medical record number")),
                "system": c.mrn_system(p.clinic_slug),
                "value": p.mrn,
            }
        ],
        "active": p.active,
        "name": names,
        "telecom": telecom,
        "gender": _GENDER.get(p.sex_at_birth, "unknown"),
        "birthDate": p.birth_date.isoformat(),
        "address": [{"text": p.address}] if p.address else [],
        "contact": contact,
        "communication": [
            {
                "language": _concept(
                    _coding(c.BCP47, p.language, c.LANGUAGE_NAMES.get(p.language, p.language))
                ),
                "preferred": True,
            }
        ],
    }
    return Patient.model_validate(_clean(data))


def condition_resource(d: ConditionData) -> Condition:
    codings = [_coding(c.ICD10CM, d.icd10, d.description)]
    snomed = c.condition_snomed(d.icd10)
    if snomed:
        codings.append(_coding(c.SNOMED, *snomed))
    data = {
        "resourceType": "Condition",
        "id": d.id,
        "meta": _meta(d.updated),
        "clinicalStatus": _concept(_coding(c.CONDITION_CLINICAL, d.status)),
        "verificationStatus": _concept(_coding(c.CONDITION_VERIFICATION, "confirmed")),
        "category": [
            _concept(_coding(c.CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))
        ],
        "code": _concept(*codings, text=d.description),
        "subject": _ref("Patient", d.patient_id),
        "onsetDateTime": d.onset.isoformat() if d.onset else None,
        "recordedDate": _instant(d.recorded),
    }
    return Condition.model_validate(_clean(data))


_ALLERGY_SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}


def allergy_resource(d: AllergyData) -> AllergyIntolerance:
    reaction = []
    if d.reaction:
        reaction.append(
            {
                "manifestation": [{"text": d.reaction}],
                "severity": _ALLERGY_SEVERITY.get(d.severity),
            }
        )
    data = {
        "resourceType": "AllergyIntolerance",
        "id": d.id,
        "meta": _meta(d.updated),
        "clinicalStatus": _concept(_coding(c.ALLERGY_CLINICAL, d.status)),
        "criticality": "high" if d.severity == "life_threatening" else None,
        "code": {"text": d.substance},
        "patient": _ref("Patient", d.patient_id),
        "onsetDateTime": d.noted_on.isoformat() if d.noted_on else None,
        "recordedDate": _instant(d.recorded),
        "reaction": reaction,
    }
    return AllergyIntolerance.model_validate(_clean(data))


def medication_statement_resource(d: MedicationData) -> MedicationStatement:
    route = c.ROUTES.get(d.route.lower()) if d.route else None
    dosage = {
        "text": " ".join(part for part in (d.dose, d.frequency) if part),
        "timing": {"code": {"text": d.frequency}} if d.frequency else None,
        "route": _concept(_coding(c.SNOMED, *route), text=d.route)
        if route
        else ({"text": d.route} if d.route else None),
    }
    data = {
        "resourceType": "MedicationStatement",
        "id": d.id,
        "meta": _meta(d.updated),
        "status": "active" if d.status == "active" else "stopped",
        "medicationCodeableConcept": {"text": d.name},
        "subject": _ref("Patient", d.patient_id),
        "effectivePeriod": {
            "start": d.start.isoformat() if d.start else None,
            "end": d.stop.isoformat() if d.stop else None,
        },
        "dateAsserted": _instant(d.recorded),
        "reasonCode": [{"text": d.indication}] if d.indication else [],
        "dosage": [dosage],
    }
    return MedicationStatement.model_validate(_clean(data))


def _vital(
    *,
    id: str,
    patient_id: str,
    code: c.VitalCode,
    effective: str,
    value: Decimal | int | None = None,
    encounter_id: str | None = None,
    components: list[dict[str, Any]] | None = None,
    updated: dt.datetime | None = None,
) -> Observation:
    codings = [_coding(c.LOINC, code.loinc, code.display)]
    codings += [_coding(c.LOINC, extra, display) for extra, display in code.extra]
    data = {
        "resourceType": "Observation",
        "id": id,
        "meta": _meta(updated),
        "status": "final",
        "category": [_concept(_coding(c.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs"))],
        "code": _concept(*codings, text=code.display),
        "subject": _ref("Patient", patient_id),
        "encounter": _ref("Encounter", encounter_id) if encounter_id else None,
        "effectiveDateTime": effective,
        "valueQuantity": _quantity(value, code.unit) if value is not None else None,
        "component": components or [],
    }
    return Observation.model_validate(_clean(data))


def measurement_observations(d: MeasurementData) -> list[Observation]:
    out = [
        _vital(
            id=f"{d.id}-wt",
            patient_id=d.patient_id,
            code=c.VITALS["weight_kg"],
            effective=d.measured_on.isoformat(),
            value=d.weight_kg,
            updated=d.updated,
        )
    ]
    if d.height_cm is not None:
        out.append(
            _vital(
                id=f"{d.id}-ht",
                patient_id=d.patient_id,
                code=c.VITALS["height_cm"],
                effective=d.measured_on.isoformat(),
                value=d.height_cm,
                updated=d.updated,
            )
        )
    return out


def vital_observations(d: VitalData) -> list[Observation]:
    """One Observation per sign read; blood pressure as the panel with two components."""
    effective = _instant(d.taken_at) or ""
    common: dict[str, Any] = {
        "patient_id": d.patient_id,
        "effective": effective,
        "encounter_id": d.encounter_id,
        "updated": d.updated,
    }
    out = []
    if d.systolic is not None and d.diastolic is not None:
        components = [
            {
                "code": _concept(_coding(c.LOINC, part.loinc, part.display)),
                "valueQuantity": _quantity(value, part.unit),
            }
            for part, value in ((c.BP_SYSTOLIC, d.systolic), (c.BP_DIASTOLIC, d.diastolic))
        ]
        out.append(_vital(id=f"{d.id}-bp", code=c.BP_PANEL, components=components, **common))
    for key, suffix in (
        ("heart_rate", "hr"),
        ("spo2", "spo2"),
        ("respiratory_rate", "rr"),
        ("temperature_c", "temp"),
    ):
        value = getattr(d, key)
        if value is not None:
            out.append(_vital(id=f"{d.id}-{suffix}", code=c.VITALS[key], value=value, **common))
    return out


def _item_coding(instrument: Instrument, item_key: str, loinc: str | None) -> dict[str, Any]:
    if loinc:
        return _coding(c.LOINC, loinc)
    return _coding(c.LOCAL_ITEM, f"{instrument.code}.{item_key}")


def questionnaire_resource(instrument: Instrument) -> Questionnaire:
    """The instrument as a Questionnaire. Item text goes out only where the instrument's
    licence lets KetaCare ship it (`Item.text` is None otherwise): then an item carries
    its codes alone."""
    items = []
    for item in instrument.items:
        answer_type = "boolean" if item.boolean else "integer"
        entry: dict[str, Any] = {
            "linkId": item.key,
            "code": [_item_coding(instrument, item.key, item.loinc)],
            "text": item.text,
            "type": answer_type,
            "required": item.required and item.asked_when is None,
        }
        if answer_type == "integer":
            entry["answerOption"] = [{"valueInteger": int(v)} for v in item.values]
        items.append(entry)
    code = (
        [_coding(c.LOINC, instrument.loinc_panel)]
        if instrument.loinc_panel
        else [_coding(c.LOCAL_INSTRUMENT_TOTAL, instrument.code)]
    )
    data = {
        "resourceType": "Questionnaire",
        "id": c.fhir_id(instrument.code),
        "url": questionnaire_url(instrument),
        "version": instrument.version,
        "name": "".join(ch for ch in instrument.abbreviation if ch.isalnum()).upper(),
        "title": instrument.abbreviation,
        "status": "active",
        "subjectType": ["Patient"],
        "code": code,
        "copyright": instrument.licence_note,
        "item": items,
    }
    return Questionnaire.model_validate(_clean(data))


def questionnaire_response_resource(d: ResponseData) -> QuestionnaireResponse:
    items = []
    for item, value in zip(d.instrument.items, d.answers, strict=False):
        if value is None:
            continue
        answer = {"valueBoolean": value} if isinstance(value, bool) else {"valueInteger": value}
        items.append({"linkId": item.key, "text": item.text, "answer": [answer]})
    data = {
        "resourceType": "QuestionnaireResponse",
        "id": d.id,
        "meta": _meta(d.updated),
        "language": d.language,
        "questionnaire": f"{questionnaire_url(d.instrument)}|{d.instrument.version}",
        "status": "amended" if d.amends else "completed",
        "subject": _ref("Patient", d.patient_id),
        "encounter": _ref("Encounter", d.encounter_id) if d.encounter_id else None,
        "authored": _instant(d.answered_at),
        "item": items,
    }
    return QuestionnaireResponse.model_validate(_clean(data))


def score_observation(d: ScoreData) -> Observation:
    """A scale total: LOINC where the instrument has one, a local code otherwise;
    category survey; derivedFrom its QuestionnaireResponse (interop.md §1.1)."""
    instrument = d.instrument
    if instrument.loinc_total:
        coding = _coding(c.LOINC, instrument.loinc_total, f"{instrument.abbreviation} total")
    else:
        coding = _coding(c.LOCAL_INSTRUMENT_TOTAL, instrument.code, instrument.abbreviation)
    data = {
        "resourceType": "Observation",
        "id": d.id,
        "meta": _meta(d.updated),
        "status": "final",
        "category": [_concept(_coding(c.OBSERVATION_CATEGORY, "survey", "Survey"))],
        "code": _concept(coding, text=f"{instrument.abbreviation} total score"),
        "subject": _ref("Patient", d.patient_id),
        "encounter": _ref("Encounter", d.encounter_id) if d.encounter_id else None,
        "effectiveDateTime": _instant(d.answered_at),
        "valueInteger": d.total,
        "interpretation": [{"text": d.severity_label}] if d.severity_label else [],
        "derivedFrom": [_ref("QuestionnaireResponse", d.response_id)],
    }
    return Observation.model_validate(_clean(data))


# Session state -> Encounter.status (R4: planned | arrived | in-progress | finished |
# cancelled | ...). A missed session (no-show) is cancelled: it never took place.
_ENCOUNTER_STATUS = {
    "scheduled": "planned",
    "checked_in": "arrived",
    "pre_dose": "arrived",
    "dosing": "in-progress",
    "monitoring": "in-progress",
    "ready_for_discharge": "in-progress",
    "discharged": "finished",
    "signed": "finished",
    "cancelled": "cancelled",
    "no_show": "cancelled",
}


def encounter_resource(d: EncounterData) -> Encounter:
    data = {
        "resourceType": "Encounter",
        "id": d.id,
        "meta": _meta(d.updated),
        "status": _ENCOUNTER_STATUS.get(d.status, "unknown"),
        "class": _coding(c.ACT_CODE, "AMB", "ambulatory"),
        "type": [{"text": "Ketamine treatment session"}],
        "subject": _ref("Patient", d.patient_id),
        "period": {"start": _instant(d.start), "end": _instant(d.end)},
    }
    return Encounter.model_validate(_clean(data))


def medication_administration_resource(d: AdministrationData) -> MedicationAdministration:
    """Infusions have a Period and a rate; esketamine counts its nasal-spray devices."""
    name = c.DRUG_NAMES.get(d.drug, d.drug)
    codings = [_coding(c.LOCAL_DRUG, d.drug, name)]
    if d.drug in c.DRUG_RXNORM:
        codings.insert(0, _coding(c.RXNORM, *c.DRUG_RXNORM[d.drug]))
    route = c.ROUTES.get(d.route)
    dosage: dict[str, Any] = {
        "text": d.formulation,
        "route": _concept(_coding(c.SNOMED, *route)) if route else {"text": d.route},
        "dose": _quantity(d.dose_mg, "mg") if d.dose_mg is not None else None,
        "rateQuantity": _quantity(d.rate_ml_per_h, "mL/h") if d.rate_ml_per_h is not None else None,
    }
    if d.drug == "esketamine":
        # No element of MedicationAdministration counts devices: the count goes in the
        # dosage text, and the dose (devices x 28 mg) is the dose.
        dosage["text"] = f"{d.formulation}: {d.devices} nasal spray device(s)"
    # The lot and expiry belong to the product given: a contained Medication's batch.
    medication = {
        "resourceType": "Medication",
        "id": "med",
        "code": _concept(*codings, text=name),
        "batch": {"lotNumber": d.lot_number, "expirationDate": d.expiry.isoformat()},
    }
    data = {
        "resourceType": "MedicationAdministration",
        "id": d.id,
        "meta": _meta(d.updated),
        "contained": [medication],
        "status": "completed" if d.stopped_at else "in-progress",
        "medicationReference": {"reference": "#med", "display": name},
        "subject": _ref("Patient", d.patient_id),
        "context": _ref("Encounter", d.encounter_id),
        "effectivePeriod": {"start": _instant(d.started_at), "end": _instant(d.stopped_at)},
        "dosage": dosage,
    }
    return MedicationAdministration.model_validate(_clean(data))


def as_json(resource: Resource) -> dict[str, Any]:
    """The resource as R4 JSON (what the API and the NDJSON files carry)."""
    out: dict[str, Any] = resource.model_dump(mode="json", exclude_none=True)
    return out
