"""The Spravato REMS Patient Monitoring Form, assembled from the session record.
Pure Python, no Django.

Fields per clinical.md §5.3 [V] (manualspro.net form instructions; J&J video): patient,
concomitant medicines, monitoring HCP and setting, session, readiness, vitals and adverse
events. Completed after every outpatient session and submitted within 7 days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SUBMIT_WITHIN = dt.timedelta(days=7)  # clinical.md §5.3 [V]
DEVICE_MG = 28  # one Spravato device delivers 28 mg (clinical.md §2.1 [V])
STANDARD_DOSES_MG = (56, 84)

# Concomitant-medicine classes the form asks about, and names that identify them in a
# medication list. A name match is a prompt for the nurse to check, not a diagnosis.
MEDICINE_CLASSES: dict[str, tuple[str, ...]] = {
    "benzodiazepines": (
        "alprazolam", "clonazepam", "diazepam", "lorazepam", "temazepam", "oxazepam",
        "chlordiazepoxide", "midazolam", "clobazam", "nitrazepam",
    ),
    "non_benzodiazepine_sedative_hypnotics": (
        "zolpidem", "zopiclone", "eszopiclone", "zaleplon",
    ),
    "psychostimulants": (
        "methylphenidate", "amphetamine", "dexamfetamine", "dextroamphetamine",
        "lisdexamfetamine", "modafinil", "armodafinil",
    ),
    "maois": (
        "phenelzine", "tranylcypromine", "isocarboxazid", "selegiline", "moclobemide",
    ),
    "opioids": (
        "morphine", "oxycodone", "hydrocodone", "codeine", "tramadol", "fentanyl",
        "buprenorphine", "methadone", "tapentadol", "hydromorphone",
    ),
}  # fmt: skip
MEDICINE_CLASS_LABELS = {
    "benzodiazepines": "Benzodiazepines",
    "non_benzodiazepine_sedative_hypnotics": "Non-benzodiazepine sedative-hypnotics",
    "psychostimulants": "Psychostimulants",
    "maois": "MAOIs",
    "opioids": "Opioids",
}


def medicine_classes(names: list[str]) -> dict[str, bool]:
    """For each class the form asks about, whether any medicine name belongs to it."""
    lowered = [n.lower() for n in names]
    return {
        cls: any(term in name for name in lowered for term in terms)
        for cls, terms in MEDICINE_CLASSES.items()
    }


@dataclass(frozen=True)
class BP:
    systolic: int | None
    diastolic: int | None

    def __str__(self) -> str:
        if self.systolic is None or self.diastolic is None:
            return ""
        return f"{self.systolic}/{self.diastolic}"


@dataclass(frozen=True)
class FormFacts:
    """What the session record holds; the service gathers it."""

    patient_name: str
    date_of_birth: dt.date
    sex: str
    first_treatment: bool
    enrolled: bool
    medicines: dict[str, bool]
    monitoring_hcp: str
    setting: str
    treatment_date: dt.date
    devices: int
    lot_number: str
    first_device_at: dt.datetime | None
    monitoring_ended_at: dt.datetime | None
    ready_to_leave_at: dt.datetime | None
    vitals_ok_before: bool
    vitals_ok_at_end: bool
    bp_pre_dose: BP
    bp_40_min: BP
    bp_at_end: BP
    sedation: bool
    dissociation: bool
    respiratory_depression: bool


FIELD_LABELS: dict[str, str] = {
    "patient_name": "Patient name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "first_treatment": "First treatment",
    "enrolled": "Patient enrolled in the REMS",
    **{f"med_{k}": v for k, v in MEDICINE_CLASS_LABELS.items()},
    "monitoring_hcp": "Monitoring healthcare provider",
    "setting": "Healthcare setting",
    "treatment_date": "Treatment date",
    "dose": "Dose",
    "lot_number": "Lot number",
    "total_minutes": "Total minutes from first device to end of monitoring",
    "ready_minutes": (
        "Minutes until the patient would have been ready to leave (without the 2-h rule)"
    ),
    "vitals_ok_before": "Vital signs acceptable before administration",
    "vitals_ok_at_end": "Vital signs acceptable before session completion",
    "bp_pre_dose": "Blood pressure before dosing",
    "bp_40_min": "Blood pressure about 40 min after dosing",
    "bp_at_end": "Blood pressure before session completion",
    "sedation": "Sedation",
    "dissociation": "Dissociation",
    "respiratory_depression": "Respiratory depression",
}  # fmt: skip


def _yn(value: bool) -> str:
    return "Yes" if value else "No"


def _minutes(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None:
        return ""
    return str(int((end - start).total_seconds() // 60))


def dose_label(devices: int) -> str:
    mg = devices * DEVICE_MG
    return f"{mg} mg" if mg in STANDARD_DOSES_MG else f"Other: {mg} mg"


def assemble(facts: FormFacts) -> dict[str, str]:
    """Every field of the form as text, in the form's order (FIELD_LABELS)."""
    values = {
        "patient_name": facts.patient_name,
        "date_of_birth": facts.date_of_birth.isoformat(),
        "sex": facts.sex,
        "first_treatment": _yn(facts.first_treatment),
        "enrolled": _yn(facts.enrolled),
        **{f"med_{k}": _yn(facts.medicines.get(k, False)) for k in MEDICINE_CLASSES},
        "monitoring_hcp": facts.monitoring_hcp,
        "setting": facts.setting,
        "treatment_date": facts.treatment_date.isoformat(),
        "dose": dose_label(facts.devices) if facts.devices else "",
        "lot_number": facts.lot_number,
        "total_minutes": _minutes(facts.first_device_at, facts.monitoring_ended_at),
        "ready_minutes": _minutes(facts.first_device_at, facts.ready_to_leave_at),
        "vitals_ok_before": _yn(facts.vitals_ok_before),
        "vitals_ok_at_end": _yn(facts.vitals_ok_at_end),
        "bp_pre_dose": str(facts.bp_pre_dose),
        "bp_40_min": str(facts.bp_40_min),
        "bp_at_end": str(facts.bp_at_end),
        "sedation": _yn(facts.sedation),
        "dissociation": _yn(facts.dissociation),
        "respiratory_depression": _yn(facts.respiratory_depression),
    }
    return {name: values[name] for name in FIELD_LABELS}


def form_rows(values: dict[str, str]) -> list[list[str]]:
    """The form as CSV rows: a header, then (field label, value) in the form's order."""
    return [["field", "value"], *[[FIELD_LABELS[k], v] for k, v in values.items()]]


def missing_fields(values: dict[str, str]) -> list[str]:
    """Fields the record could not fill: the form cannot be submitted until they are."""
    return [FIELD_LABELS[name] for name, value in values.items() if value == ""]


def due_on(session_date: dt.date) -> dt.date:
    return session_date + SUBMIT_WITHIN


def form_status(*, submitted: bool, due: dt.date, today: dt.date) -> str:
    if submitted:
        return "submitted"
    return "overdue" if today > due else "draft"


def reading_near(
    readings: list[tuple[dt.datetime, int | None, int | None]],
    target: dt.datetime,
    tolerance: dt.timedelta,
) -> BP:
    """The blood pressure taken closest to `target`, within the tolerance."""
    near = [
        (abs(at - target), s, d)
        for at, s, d in readings
        if s is not None and abs(at - target) <= tolerance
    ]
    if not near:
        return BP(None, None)
    _gap, s, d = min(near, key=lambda x: x[0])
    return BP(s, d)
