"""Referrals in: a FHIR Bundle or a CSV of patients -> plain records to import. Pure.

Parsing never raises on bad content: each incoming patient carries its errors by field
(a FHIR path such as `Patient.birthDate`, or a CSV column), so the dry run can show them
all. The services then write the records through the patient services.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ketacare.exchange import codes as c

PDF_MAGIC = b"%PDF-"
# The CSV format (docs/interoperability.md, "CSV import of patients"): a header row with
# these columns; the first four are required, the rest may be left out or empty.
CSV_REQUIRED = ("legal_family_name", "legal_given_name", "date_of_birth", "sex_at_birth")
CSV_OPTIONAL = (
    "mrn",
    "preferred_name",
    "gender_identity",
    "pronouns",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "referring_clinician_name",
    "referring_clinician_organisation",
    "referring_clinician_phone",
    "referring_clinician_email",
)
CSV_COLUMNS = CSV_REQUIRED + CSV_OPTIONAL
SEXES = ("female", "male", "intersex", "unknown")
_SEX_FROM_GENDER = {"female": "female", "male": "male", "other": "intersex", "unknown": "unknown"}
NO_FREQUENCY = "not stated"


@dataclass
class Letter:
    title: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass
class Incoming:
    """One patient to import, with the chart entries that come with them."""

    key: str  # "row 3" or the Bundle entry's id
    patient: dict[str, Any] = field(default_factory=dict)  # patient service fields
    mrn_is_ours: bool = False  # the MRN is this clinic's (CSV, or our own MRN system)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    medications: list[dict[str, Any]] = field(default_factory=list)
    allergies: list[dict[str, Any]] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)

    @property
    def label(self) -> str:
        given = self.patient.get("legal_given_name", "")
        family = self.patient.get("legal_family_name", "")
        return f"{family}, {given}".strip(", ") or self.key


@dataclass
class Parsed:
    patients: list[Incoming]
    errors: dict[str, list[str]] = field(default_factory=dict)  # about the file itself
    ignored: dict[str, int] = field(default_factory=dict)  # resource types not imported


def referral_mrn(source: str) -> str:
    """A stable MRN for a referred patient whose MRN is another organisation's: the same
    Bundle gives the same MRN at the dry run and at the import."""
    return "REF-" + hashlib.sha256(source.encode()).hexdigest()[:10].upper()


# ---------------------------------------------------------------- FHIR Bundle


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _concept_text(concept: dict[str, Any] | None) -> str:
    if not concept:
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding", []):
        if coding.get("display") or coding.get("code"):
            return str(coding.get("display") or coding.get("code"))
    return ""


def _coded(concept: dict[str, Any] | None, system: str) -> dict[str, Any] | None:
    return next(
        (cd for cd in (concept or {}).get("coding", []) if cd.get("system") == system), None
    )


def _status(concept: dict[str, Any] | None) -> str:
    coding = (concept or {}).get("coding") or [{}]
    return str(coding[0].get("code", ""))


def _preferred_language(resource: dict[str, Any]) -> str:
    """Patient.communication's preferred language where KetaCare speaks it ("es-MX" is
    Spanish), else English."""
    spoken = resource.get("communication") or []
    chosen = next((c for c in spoken if c.get("preferred")), spoken[0] if spoken else {})
    for coding in (chosen.get("language") or {}).get("coding") or []:
        base = str(coding.get("code", "")).split("-")[0].lower()
        if base in c.LANGUAGE_NAMES:
            return base
    return "en"


def _patient_fields(resource: dict[str, Any], into: Incoming, clinic_slug: str) -> None:
    names = resource.get("name", [])
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    usual = next((n for n in names if n.get("use") == "usual"), None)
    given = official.get("given") or []
    fields: dict[str, Any] = {
        "legal_family_name": official.get("family", ""),
        "legal_given_name": given[0] if given else "",
        "preferred_name": (usual.get("given") or [""])[0] if usual else "",
        "sex_at_birth": _SEX_FROM_GENDER.get(resource.get("gender", ""), "unknown"),
        "preferred_language": _preferred_language(resource),
    }
    if not fields["legal_family_name"]:
        into.error("Patient.name.family", "The family name is required.")
    if not fields["legal_given_name"]:
        into.error("Patient.name.given", "The given name is required.")
    born = _date(resource.get("birthDate"))
    if born is None:
        into.error("Patient.birthDate", "The date of birth is required (YYYY-MM-DD).")
    else:
        fields["date_of_birth"] = born
    for telecom in resource.get("telecom", []):
        if telecom.get("system") == "phone" and "phone" not in fields:
            fields["phone"] = telecom.get("value", "")
        if telecom.get("system") == "email" and "email" not in fields:
            fields["email"] = telecom.get("value", "")
    addresses = resource.get("address") or []
    if addresses:
        a = addresses[0]
        parts = [*a.get("line", []), a.get("city"), a.get("state"), a.get("postalCode")]
        fields["address"] = a.get("text") or ", ".join(p for p in parts if p)
    contacts = resource.get("contact") or []
    if contacts:
        contact = contacts[0]
        fields["emergency_contact_name"] = (contact.get("name") or {}).get("text", "")
        relation = contact.get("relationship") or [{}]
        fields["emergency_contact_relationship"] = _concept_text(relation[0])
        phones = [t["value"] for t in contact.get("telecom", []) if t.get("system") == "phone"]
        fields["emergency_contact_phone"] = phones[0] if phones else ""
    own_system = c.mrn_system(clinic_slug)
    identifiers = resource.get("identifier", [])
    ours = next((i for i in identifiers if i.get("system") == own_system), None)
    if ours:
        fields["mrn"] = ours.get("value", "")
        into.mrn_is_ours = True
    else:
        first = identifiers[0] if identifiers else {}
        source = f"{first.get('system', '')}|{first.get('value', '')}|{resource.get('id', '')}"
        fields["mrn"] = referral_mrn(source + fields["legal_family_name"] + str(born))
    into.patient = {k: v for k, v in fields.items() if v is not None}


def _condition(resource: dict[str, Any], into: Incoming, where: str) -> None:
    icd = _coded(resource.get("code"), c.ICD10CM)
    if icd is None:
        into.error(f"{where}.code", "The condition needs an ICD-10-CM code.")
        return
    status = _status(resource.get("clinicalStatus"))
    into.conditions.append(
        {
            "icd10_code": icd.get("code", ""),
            "description": icd.get("display") or _concept_text(resource.get("code")),
            "onset_date": _date(resource.get("onsetDateTime")),
            "status": "active" if status in ("active", "recurrence", "relapse", "") else "resolved",
        }
    )


def _medication(resource: dict[str, Any], into: Incoming, where: str) -> None:
    name = _concept_text(resource.get("medicationCodeableConcept"))
    if not name:
        ref = (resource.get("medicationReference") or {}).get("display", "")
        name = str(ref)
    if not name:
        into.error(f"{where}.medication", "The medication needs a name.")
        return
    dosage = (resource.get("dosage") or [{}])[0]
    frequency = _concept_text((dosage.get("timing") or {}).get("code")) or NO_FREQUENCY
    text = dosage.get("text", "")
    dose = text.removesuffix(frequency).strip() if frequency != NO_FREQUENCY else text
    period = resource.get("effectivePeriod") or {}
    route = dosage.get("route")
    into.medications.append(
        {
            "name": name,
            "dose": dose or "not stated",
            "frequency": frequency,
            "route": (route or {}).get("text") or _concept_text(route),
            "start_date": _date(period.get("start")),
            "stop_date": _date(period.get("end")),
            "status": "active" if resource.get("status") in ("active", "intended") else "stopped",
            "indication": _concept_text((resource.get("reasonCode") or [None])[0]),
        }
    )


_SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}


def _allergy(resource: dict[str, Any], into: Incoming, where: str) -> None:
    substance = _concept_text(resource.get("code"))
    if not substance:
        into.error(f"{where}.code", "The allergy needs a substance.")
        return
    reaction = (resource.get("reaction") or [{}])[0]
    manifestation = _concept_text((reaction.get("manifestation") or [None])[0])
    severity = _SEVERITY.get(reaction.get("severity", ""), "unknown")
    if resource.get("criticality") == "high":
        severity = "life_threatening"
    status = _status(resource.get("clinicalStatus"))
    into.allergies.append(
        {
            "substance": substance,
            "reaction": manifestation,
            "severity": severity,
            "status": "active" if status in ("active", "") else "inactive",
            "noted_on": _date(resource.get("onsetDateTime")),
        }
    )


def _attachment_bytes(
    attachment: dict[str, Any], binaries: dict[str, dict[str, Any]]
) -> tuple[bytes | None, str]:
    content_type = attachment.get("contentType", "")
    data = attachment.get("data")
    if data is None and attachment.get("url"):
        binary = binaries.get(attachment["url"])
        if binary is None:
            return None, content_type
        data, content_type = binary.get("data"), binary.get("contentType", content_type)
    if data is None:
        return None, content_type
    try:
        return base64.b64decode(data, validate=True), content_type
    except (binascii.Error, ValueError):
        return None, content_type


def _letter(
    resource: dict[str, Any], into: Incoming, where: str, binaries: dict[str, dict[str, Any]]
) -> None:
    for n, content in enumerate(resource.get("content", [])):
        attachment = content.get("attachment", {})
        data, content_type = _attachment_bytes(attachment, binaries)
        at = f"{where}.content[{n}].attachment"
        if content_type != "application/pdf":
            into.error(f"{at}.contentType", "Only PDF letters (application/pdf) are imported.")
        elif data is None:
            into.error(f"{at}.data", "The letter's PDF is missing or not valid base64.")
        elif not data.startswith(PDF_MAGIC):
            into.error(f"{at}.data", "The attachment is not a PDF file.")
        else:
            title = attachment.get("title") or resource.get("description") or "Referral letter"
            into.letters.append(Letter(title=str(title)[:200], content=data))


def _subject_key(resource: dict[str, Any]) -> str:
    ref = (resource.get("subject") or resource.get("patient") or {}).get("reference", "")
    return str(ref)


def parse_bundle(data: Any, *, clinic_slug: str) -> Parsed:
    """A Bundle of Patient(s) with their Condition, MedicationStatement,
    AllergyIntolerance and DocumentReference (+ Binary) entries."""
    from fhir.resources.R4B.bundle import Bundle

    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        return Parsed([], {"resourceType": ["Send a FHIR Bundle."]})
    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors()[:20]:
            where = ".".join(str(p) for p in error["loc"]) or "Bundle"
            errors.setdefault(where, []).append(error["msg"])
        return Parsed([], errors)
    resources = [
        (str(e.get("fullUrl", "")), e["resource"]) for e in data.get("entry", []) if "resource" in e
    ]
    patients: dict[str, Incoming] = {}
    for full_url, resource in resources:
        if resource["resourceType"] == "Patient":
            incoming = Incoming(
                key=resource.get("id") or full_url or f"patient {len(patients) + 1}"
            )
            _patient_fields(resource, incoming, clinic_slug)
            for alias in (full_url, f"Patient/{resource.get('id', '')}"):
                if alias:
                    patients[alias] = incoming
    if not patients:
        return Parsed([], {"entry": ["The Bundle holds no Patient."]})
    binaries = {
        alias: resource
        for full_url, resource in resources
        if resource["resourceType"] == "Binary"
        for alias in (full_url, f"Binary/{resource.get('id', '')}")
        if alias
    }
    handlers = {
        "Condition": _condition,
        "MedicationStatement": _medication,
        "AllergyIntolerance": _allergy,
    }
    ignored: dict[str, int] = {}
    only = next(iter(patients.values())) if len(set(map(id, patients.values()))) == 1 else None
    for n, (_full_url, resource) in enumerate(resources):
        kind = resource["resourceType"]
        if kind in ("Patient", "Binary"):
            continue
        if kind not in (*handlers, "DocumentReference"):
            ignored[kind] = ignored.get(kind, 0) + 1
            continue
        owner = patients.get(_subject_key(resource)) or only
        where = f"entry[{n}].{kind}"
        if owner is None:
            first = next(iter(patients.values()))
            first.error(f"{where}.subject", "Refers to no Patient in this Bundle.")
            continue
        if kind == "DocumentReference":
            _letter(resource, owner, where, binaries)
        else:
            handlers[kind](resource, owner, where)
    unique = list({id(p): p for p in patients.values()}.values())
    return Parsed(unique, ignored=ignored)


# ---------------------------------------------------------------- CSV


def parse_csv(text: str) -> Parsed:
    """Patients from a CSV with the columns CSV_COLUMNS (header row first)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [col for col in CSV_REQUIRED if col not in header]
    unknown = [col for col in header if col not in CSV_COLUMNS]
    errors: dict[str, list[str]] = {}
    if missing:
        errors["header"] = [f"Missing column(s): {', '.join(missing)}."]
    if unknown:
        errors.setdefault("header", []).append(f"Unknown column(s): {', '.join(unknown)}.")
    if errors:
        return Parsed([], errors)
    patients = []
    for number, row in enumerate(reader, start=2):
        incoming = Incoming(key=f"row {number}")
        fields = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        born = _date(fields.get("date_of_birth"))
        if born is None or len(fields.get("date_of_birth", "")) != 10:
            incoming.error("date_of_birth", "Give the date of birth as YYYY-MM-DD.")
        else:
            fields["date_of_birth"] = born
        if fields.get("sex_at_birth") not in SEXES:
            incoming.error("sex_at_birth", f"Give one of: {', '.join(SEXES)}.")
        for col in ("legal_family_name", "legal_given_name"):
            if not fields.get(col):
                incoming.error(col, "This column is required.")
        if fields.get("mrn"):
            incoming.mrn_is_ours = True
        else:
            fields["mrn"] = referral_mrn(
                f"csv|{fields.get('legal_family_name')}|{fields.get('legal_given_name')}|{born}"
            )
        incoming.patient = {k: v for k, v in fields.items() if v not in ("", None)}
        patients.append(incoming)
    if not patients:
        return Parsed([], {"rows": ["The file has a header but no patients."]})
    return Parsed(patients)
