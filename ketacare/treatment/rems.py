"""The Spravato REMS Patient Monitoring Form, assembled from the session record.
Pure Python, no Django.

Fields per clinical.md §5.3 [V] (manualspro.net form instructions; J&J video): patient,
concomitant medicines (classes from the one medicine catalogue,
ketacare.eligibility.medicines), monitoring HCP with phone and email, the healthcare
setting with its address, city, state and ZIP, session, readiness, vitals (an overridden
baseline BP is reported as such) and adverse events. Completed after every outpatient
session and submitted within 7 days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketacare.eligibility.medicines import REMS_CLASS_LABELS, RemsClass, rems_classes

SUBMIT_WITHIN = dt.timedelta(days=7)  # clinical.md §5.3 [V]
DEVICE_MG = 28  # one Spravato device delivers 28 mg (clinical.md §2.1 [V])
STANDARD_DOSES_MG = (56, 84)

# The form's concomitant-medicine classes come from the one medicine catalogue
# (ketacare.eligibility.medicines: generic and brand names). A match is a prompt for the
# nurse to check, not a diagnosis.
MEDICINE_CLASSES = tuple(RemsClass)
MEDICINE_CLASS_LABELS = {cls.value: label for cls, label in REMS_CLASS_LABELS.items()}


def medicine_classes(names: list[str]) -> dict[str, bool]:
    """For each class the form asks about, whether any medicine name belongs to it."""
    found = {cls for name in names for cls in rems_classes(name)}
    return {cls.value: cls in found for cls in MEDICINE_CLASSES}


@dataclass(frozen=True)
class BP:
    systolic: int | None
    diastolic: int | None
    at: dt.datetime | None = None  # when it was taken

    def __str__(self) -> str:
        if self.systolic is None or self.diastolic is None:
            return ""
        return f"{self.systolic}/{self.diastolic}"


NO_BP = BP(None, None)


@dataclass(frozen=True)
class BpOverride:
    """A prescriber's decision to dose although the baseline BP was above the clinic's
    limit (PreDoseAssessment.bp_decision, recorded by bp_decision_record)."""

    bp: BP
    limit: str  # why the gate closed, e.g. "systolic 172 > 140"
    decision: str  # "Proceed" or "Treat first"
    decided_by: str
    decided_at: dt.datetime | None
    reason: str

    def __str__(self) -> str:
        when = f" at {self.decided_at:%Y-%m-%d %H:%M}" if self.decided_at else ""
        return (
            f"Yes: baseline {self.bp} above the limit ({self.limit}); prescriber's decision "
            f"'{self.decision}' by {self.decided_by}{when}: {self.reason}"
        )


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
    monitoring_hcp_phone: str
    monitoring_hcp_email: str
    setting: str
    site_address: str
    site_city: str
    site_state: str
    site_zip: str
    treatment_date: dt.date
    devices: int
    lot_number: str
    first_device_at: dt.datetime | None
    monitoring_ended_at: dt.datetime | None
    ready_to_leave_at: dt.datetime | None
    vitals_ok_before: bool  # baseline taken and within the clinic's limits
    bp_override: BpOverride | None  # dosed above the limit on a prescriber's decision
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
    "monitoring_hcp_phone": "Monitoring healthcare provider's phone",
    "monitoring_hcp_email": "Monitoring healthcare provider's email",
    "setting": "Healthcare setting",
    "site_address": "Healthcare setting address",
    "site_city": "City",
    "site_state": "State",
    "site_zip": "ZIP code",
    "treatment_date": "Treatment date",
    "dose": "Dose",
    "lot_number": "Lot number",
    "total_minutes": "Total minutes from first device to end of monitoring",
    "ready_minutes": (
        "Minutes until the patient would have been ready to leave (without the 2-h rule)"
    ),
    "vitals_ok_before": "Vital signs acceptable before administration",
    "bp_override": "Dosed with blood pressure above the limit on a prescriber's decision",
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
        **{f"med_{k}": _yn(facts.medicines.get(k, False)) for k in MEDICINE_CLASS_LABELS},
        "monitoring_hcp": facts.monitoring_hcp,
        "monitoring_hcp_phone": facts.monitoring_hcp_phone,
        "monitoring_hcp_email": facts.monitoring_hcp_email,
        "setting": facts.setting,
        "site_address": facts.site_address,
        "site_city": facts.site_city,
        "site_state": facts.site_state,
        "site_zip": facts.site_zip,
        "treatment_date": facts.treatment_date.isoformat(),
        "dose": dose_label(facts.devices) if facts.devices else "",
        "lot_number": facts.lot_number,
        "total_minutes": _minutes(facts.first_device_at, facts.monitoring_ended_at),
        "ready_minutes": _minutes(facts.first_device_at, facts.ready_to_leave_at),
        # An overridden BP is reported as such, never as "acceptable".
        "vitals_ok_before": _yn(facts.vitals_ok_before and facts.bp_override is None),
        "bp_override": str(facts.bp_override) if facts.bp_override else "No",
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


Readings = list[tuple[dt.datetime, int | None, int | None]]


def reading_near(readings: Readings, target: dt.datetime, tolerance: dt.timedelta) -> BP:
    """The blood pressure taken closest to `target`, within the tolerance."""
    near = [
        (abs(at - target), at, s, d)
        for at, s, d in readings
        if s is not None and d is not None and abs(at - target) <= tolerance
    ]
    if not near:
        return NO_BP
    _gap, at, s, d = min(near, key=lambda x: x[0])
    return BP(s, d, at)


def bp_before_completion(
    readings: Readings, *, after: dt.datetime | None, until: dt.datetime | None
) -> BP:
    """ "BP prior to session completion": the last blood pressure taken after `after` (the
    40-minute reading, or the first dose) and at or before `until` (the end of monitoring,
    when it has ended). The 40-minute reading itself never counts, so when no later BP was
    taken the field stays empty and the form lists it as missing."""
    later = [
        BP(s, d, at)
        for at, s, d in readings
        if s is not None
        and d is not None
        and (after is None or at > after)
        and (until is None or at <= until)
    ]
    return max(later, key=lambda bp: bp.at or dt.datetime.min) if later else NO_BP
