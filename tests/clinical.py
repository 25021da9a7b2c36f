"""Clinical set-up shared by tests: a patient cleared for a protocol the way a clinic
clears one, through the services (a clean screening checklist, then a prescriber's
accepted justification for every remaining caution)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from ketacare.accounts.access import ClinicAccess
from ketacare.eligibility import services as eligibility
from ketacare.eligibility.models import Episode, ScreeningResult
from ketacare.eligibility.screening import NOTHING_PRESENT
from ketacare.eligibility.selectors import open_cautions
from ketacare.patients import services as patients
from ketacare.patients.models import Consent
from tests.clock import advance_clock

ALL_NO = NOTHING_PRESENT
CLEAN_CHECKLIST: dict[str, Any] = {"answers": ALL_NO, "bp_systolic": 122, "bp_diastolic": 78}
ANEURYSM_CHECKLIST: dict[str, Any] = {
    **CLEAN_CHECKLIST,
    "answers": {**ALL_NO, "aneurysmal_vascular_disease": "yes"},
}
MAOI = {"name": "Phenelzine", "dose": "15 mg", "frequency": "three times daily"}

# Two adequate failed antidepressant trials in the current episode: resistant by default.
FAILED_TRIALS: list[dict[str, Any]] = [
    {
        "drug": "Sertraline",
        "drug_class": "ssri",
        "max_daily_dose_mg": Decimal("150"),
        "weeks_at_dose": Decimal("8"),
        "outcome": "no_response",
    },
    {
        "drug": "Venlafaxine",
        "drug_class": "snri",
        "max_daily_dose_mg": Decimal("225"),
        "weeks_at_dose": Decimal("6"),
        "outcome": "partial_response",
    },
]


CURRENT_EPISODE = {
    "start_date": dt.date(2024, 1, 10),
    "severity": "severe",
    "psychotic_features": False,
    "indication": "major_depression",
}


def consent_to_treatment(access: ClinicAccess, patient_id: uuid.UUID) -> None:
    """The signed treatment consent every session needs (issue 12, finding 5)."""
    if not Consent.objects.filter(
        patient_id=patient_id, kind="treatment", entered_in_error_at__isnull=True
    ).exists():
        patients.record_add(
            access=access,
            patient_id=patient_id,
            model=Consent,
            data={
                "kind": "treatment",
                "decision": "granted",
                "document_version": "v1",
                "decided_on": dt.date(2024, 1, 15),
            },
        )


def clear_for_protocol(
    prescriber: ClinicAccess, patient_id: uuid.UUID, *protocol_codes: str
) -> list[ScreeningResult]:
    """Record the patient's treatment consent and a current episode of major depression
    where none is recorded, screen the patient for each protocol, and accept what
    cautions remain."""
    consent_to_treatment(prescriber, patient_id)
    if not Episode.objects.filter(patient_id=patient_id, entered_in_error_at__isnull=True).exists():
        eligibility.history_add(
            access=prescriber, patient_id=patient_id, model=Episode, data=CURRENT_EPISODE
        )  # which screens again by itself
        advance_clock(minutes=1)  # so the screening below is the latest, not a tie
    results = []
    for code in protocol_codes:
        screening = eligibility.screening_run(
            access=prescriber, patient_id=patient_id, protocol_code=code, checklist=CLEAN_CHECKLIST
        )
        for caution in open_cautions(screening):
            eligibility.caution_accept(
                access=prescriber,
                patient_id=patient_id,
                screening_id=screening.pk,
                code=caution["code"],
                justification="Reviewed with the patient: benefit outweighs the risk.",
            )
        results.append(screening)
    return results
