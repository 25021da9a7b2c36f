"""The REMS Patient Monitoring Form from the session record (issue #12 finding 12)."""

from __future__ import annotations

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.patients.models import Patient
from ketacare.treatment import charting, rems, services
from ketacare.treatment.models import TreatmentSession
from ketacare.treatment.selectors import rems_form_values
from tests.factories import MedicationFactory

from .build import (
    BASELINE,
    _clear_and_discharge,
    at,
    esketamine_dosing,
    ids,
    to_pre_dose,
    vitals,
)

pytestmark = pytest.mark.django_db


def _dosed(nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient) -> TreatmentSession:
    session = esketamine_dosing(nurse, prescriber, patient)
    at(6)
    charting.device_give(access=nurse, **ids(session))
    charting.administration_stop(access=nurse, **ids(session))
    at(41)
    vitals(nurse, session, "r40", systolic=142, diastolic=88, heart_rate=80, spo2=97)
    return session


def test_bp_before_completion_is_never_the_40_minute_reading(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    """With no BP after the 40-min reading, the field is missing, so the form cannot be
    submitted until it is charted: it used to repeat the 40-min reading."""
    session = _dosed(nurse, prescriber, patient)
    # The cuff failed after the 40-min reading: the readings due since, and the BP back
    # under the discharge limit, are missing, so only a prescriber's release lets the
    # patient go.
    at(120)
    services.discharge_release(
        access=prescriber,
        **ids(session),
        reason="BP cuff failed after the 40-min reading; patient seen, alert and well",
    )
    _clear_and_discharge(nurse, session, at_minutes=122)
    values = rems_form_values(session)
    assert values["bp_40_min"] == "142/88"
    assert values["bp_at_end"] == ""
    assert "Blood pressure before session completion" in rems.missing_fields(values)


def test_bp_before_completion_is_the_last_bp_at_the_end_of_observation(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _dosed(nurse, prescriber, patient)
    at(70)
    vitals(nurse, session, "r70", systolic=136, diastolic=84, heart_rate=74, spo2=98)
    at(110)
    vitals(nurse, session, "r110", systolic=126, diastolic=80, heart_rate=70, spo2=98)
    at(115)
    vitals(nurse, session, "r115", heart_rate=70, spo2=99)  # no BP: not the BP reading
    _clear_and_discharge(nurse, session, at_minutes=122)
    values = rems_form_values(session)
    assert (values["bp_40_min"], values["bp_at_end"]) == ("142/88", "126/80")
    assert values["vitals_ok_at_end"] == "Yes"
    # Provider and site details come from the prescriber and the clinic's settings.
    assert values["monitoring_hcp_email"] == "prescriber@clinic.example.org"
    assert (values["site_city"], values["site_state"], values["site_zip"]) == (
        "Springfield",
        "IL",
        "62701",
    )


def test_an_overridden_bp_is_reported_not_called_acceptable(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    high = {**BASELINE, "systolic": 172, "diastolic": 106}
    session = to_pre_dose(
        nurse, prescriber, patient, protocol="esketamine_trd", dose="56", baseline=high
    )
    services.bp_decision_record(
        access=prescriber,
        **ids(session),
        decision="proceed",
        reason="Anxious on arrival; benefit outweighs risk",
    )
    values = rems_form_values(session)
    assert values["vitals_ok_before"] == "No"
    assert values["bp_override"].startswith("Yes: baseline 172/106 above the limit (")
    assert "prescriber's decision 'Proceed' by" in values["bp_override"]
    assert values["bp_override"].endswith(": Anxious on arrival; benefit outweighs risk")


def test_a_patients_brand_name_medicines_are_classed(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient, protocol="esketamine_trd", dose="56")
    for name in ("Xanax 0.5 mg", "Adderall XR 20 mg", "OxyContin 10 mg"):
        MedicationFactory.create(patient=patient, name=name, entered_by=nurse.user)
    values = rems_form_values(session)
    assert values["med_benzodiazepines"] == "Yes"
    assert values["med_psychostimulants"] == "Yes"
    assert values["med_opioids"] == "Yes"
    assert values["med_maois"] == "No"
