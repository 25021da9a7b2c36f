"""The pure mapping core and the referral parser agree: what one clinic sends as FHIR,
another reads back to the same chart fields (a property test over generated charts)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.exchange import mapping as m
from ketacare.exchange.referral import parse_bundle

NOW = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
text = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), max_codepoint=0x24F),
    min_size=1,
    max_size=20,
)


@given(
    given_name=text,
    family=text,
    born=st.dates(dt.date(1920, 1, 1), dt.date(2008, 1, 1)),
    sex=st.sampled_from(["female", "male", "intersex", "unknown"]),
    icd=st.sampled_from(["F33.2", "F32.1", "F41.1", "F43.10"]),
    medication=text,
    dose=st.sampled_from(["20 mg", "100 mg", "0.5 mg"]),
    frequency=st.sampled_from(["once daily", "twice daily", ""]),
    substance=text,
    severity=st.sampled_from(["mild", "moderate", "severe", "life_threatening", "unknown"]),
    language=st.sampled_from(["en", "es"]),
)
def test_a_chart_sent_as_fhir_reads_back_the_same(
    given_name: str,
    family: str,
    born: dt.date,
    sex: str,
    icd: str,
    medication: str,
    dose: str,
    frequency: str,
    substance: str,
    severity: str,
    language: str,
) -> None:
    patient = m.PatientData(
        "p1", "a", "MRN-1", given_name, family, "", born, sex, language=language
    )
    resources = [
        m.patient_resource(patient),
        m.condition_resource(m.ConditionData("c1", "p1", icd, "Described", "active", born, NOW)),
        m.medication_statement_resource(
            m.MedicationData(
                "m1", "p1", medication, dose, frequency, "oral", None, None, "active", "", NOW
            )
        ),
        m.allergy_resource(
            m.AllergyData("a1", "p1", substance, "Rash", severity, "active", None, NOW)
        ),
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": m.as_json(r)} for r in resources],
    }
    (incoming,) = parse_bundle(bundle, clinic_slug="b").patients
    assert not incoming.errors
    assert incoming.patient["legal_given_name"] == given_name
    assert incoming.patient["legal_family_name"] == family
    assert incoming.patient["date_of_birth"] == born
    assert incoming.patient["sex_at_birth"] == sex
    assert incoming.patient["preferred_language"] == language
    assert incoming.conditions[0]["icd10_code"] == icd
    med = incoming.medications[0]
    assert (med["name"], med["dose"], med["route"]) == (medication, dose, "oral")
    assert med["frequency"] == (frequency or "not stated")
    allergy = incoming.allergies[0]
    assert (allergy["substance"], allergy["severity"]) == (substance, severity)


def test_a_regional_spanish_tag_reads_as_spanish_and_an_unknown_one_as_english() -> None:
    def language_of(*codes: str) -> str:
        resource = {
            "resourceType": "Patient",
            "name": [{"use": "official", "family": "Rivera", "given": ["Lucía"]}],
            "birthDate": "1990-01-02",
            "communication": [
                {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": code}]}}
                for code in codes
            ],
        }
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}
        (incoming,) = parse_bundle(bundle, clinic_slug="b").patients
        return str(incoming.patient["preferred_language"])

    assert language_of("es-MX") == "es"
    assert language_of("fr") == "en"
    assert language_of() == "en"
