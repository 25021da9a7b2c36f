"""Code systems and codes used in KetaCare's FHIR resources. Pure Python, no Django.

Every code here is sourced in ../shared/reference/interop.md (section given per table);
a concept without a verified standard code gets a local code in a KetaCare URN system.
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"  # language tags (FHIR R4 Patient.communication.language)
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

# Local code systems: URNs, so KetaCare claims no web domain it does not own.
LOCAL_INSTRUMENT_TOTAL = "urn:ketacare:codesystem:instrument-total"
LOCAL_ITEM = "urn:ketacare:codesystem:instrument-item"
LOCAL_DRUG = "urn:ketacare:codesystem:drug"
QUESTIONNAIRE_BASE = "urn:ketacare:questionnaire:"


def mrn_system(clinic_slug: str) -> str:
    """The identifier system of one clinic's MRNs (MRNs are unique only within a clinic)."""
    return f"urn:ketacare:clinic:{clinic_slug}:mrn"


@dataclass(frozen=True)
class VitalCode:
    loinc: str
    display: str
    unit: str  # UCUM
    extra: tuple[tuple[str, str], ...] = ()  # further LOINC codes sent alongside


# interop.md §5 [V]: the base FHIR vital-signs ValueSet; SpO2 also carries US Core's
# pulse-oximetry code 59408-5 [S] ("send both codes").
VITALS: dict[str, VitalCode] = {
    "heart_rate": VitalCode("8867-4", "Heart rate", "/min"),
    "respiratory_rate": VitalCode("9279-1", "Respiratory rate", "/min"),
    "spo2": VitalCode(
        "2708-6",
        "Oxygen saturation in Arterial blood",
        "%",
        extra=(("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),),
    ),
    "temperature_c": VitalCode("8310-5", "Body temperature", "Cel"),
    "weight_kg": VitalCode("29463-7", "Body weight", "kg"),
    "height_cm": VitalCode("8302-2", "Body height", "cm"),
}
BP_PANEL = VitalCode("85354-9", "Blood pressure panel with all children optional", "mm[Hg]")
BP_SYSTOLIC = VitalCode("8480-6", "Systolic blood pressure", "mm[Hg]")
BP_DIASTOLIC = VitalCode("8462-4", "Diastolic blood pressure", "mm[Hg]")

# interop.md §2.1 [V]: SNOMED CT route codes. An extended-release tablet is oral.
ROUTES: dict[str, tuple[str, str]] = {
    "iv": ("47625008", "Intravenous route"),
    "intranasal": ("46713006", "Nasal route"),
    "im": ("78421000", "Intramuscular route"),
    "oral": ("26643006", "Oral route"),
    "oral_er": ("26643006", "Oral route"),
    "sublingual": ("37839007", "Sublingual route"),
    "subcutaneous": ("34206005", "Subcutaneous route"),
}

# interop.md §3.1: esketamine nasal spray SCDF RxCUI 2201623 [S]. The ketamine
# ingredient RxCUI (6130) is [U] there, so ketamine carries the local code only.
DRUG_RXNORM: dict[str, tuple[str, str]] = {
    "esketamine": ("2201623", "Esketamine Nasal Spray"),
}
DRUG_NAMES = {"ketamine": "Ketamine", "esketamine": "Esketamine"}
ESKETAMINE_MG_PER_DEVICE = 28  # interop.md §3.2 [S]: Spravato, 28 mg per device

# interop.md §4 [V]: SNOMED CT 370143000 "Major depressive disorder"; ICD-10-CM F32/F33.
MDD_SNOMED = ("370143000", "Major depressive disorder")


def condition_snomed(icd10: str) -> tuple[str, str] | None:
    """SNOMED CT for an ICD-10-CM code where KetaCare has a sourced mapping."""
    code = icd10.upper()
    # MDD episodes only: not F32.8x (other depressive episodes, e.g. PMDD), F32.A
    # (depression, unspecified) or F33.8 (other recurrent depressive disorders).
    mdd = (
        *("F32.0", "F32.1", "F32.2", "F32.3", "F32.4", "F32.5", "F32.9"),
        *("F33.0", "F33.1", "F33.2", "F33.3", "F33.4", "F33.9"),
    )
    if code.startswith(mdd) or code in ("F32", "F33"):
        return MDD_SNOMED
    return None


def fhir_id(value: str) -> str:
    """An id FHIR accepts ([A-Za-z0-9-.]{1,64}) from an instrument code (qids_sr16)."""
    return value.replace("_", "-")


def instrument_code(resource_id: str) -> str:
    return resource_id.replace("-", "_")
