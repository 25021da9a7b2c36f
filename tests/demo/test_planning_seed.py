"""The demo clinics hold a patient at each stage before and early in treatment:
referred, screened (eligible, with an accepted caution, not eligible), planned and in
induction, all written through the services."""

from __future__ import annotations

import pytest

from ketacare.accounts.models import Clinic
from ketacare.demo.planning_seed import STAGES, seed_planning
from ketacare.demo.seed import CLINICS, ensure_staff, seed_clinic
from ketacare.dosing.models import DoseOrder, TreatmentPlan
from ketacare.eligibility.models import CautionAcceptance, Episode, ScreeningResult
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

pytestmark = pytest.mark.django_db


def stage_of(patient: Patient) -> str:
    plan = TreatmentPlan.objects.filter(patient=patient).first()
    if plan is not None:
        given = TreatmentSession.objects.filter(plan=plan, dosing_started_at__isnull=False)
        return "in_induction" if given.exists() else "planned"
    screening = ScreeningResult.objects.filter(patient=patient).order_by("-screened_at").first()
    if screening is not None:
        return f"screened:{screening.outcome}"
    return "referred" if Episode.objects.filter(patient=patient).exists() else "registered"


def test_each_clinic_has_a_patient_at_every_stage() -> None:
    # The clinics and this step only: the measurement stories are tested on their own.
    users = ensure_staff()
    for spec in CLINICS:
        seed_clinic(spec, users)
    seed_planning(users)
    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        tail = Patient.objects.filter(clinic=clinic).order_by("-mrn")[: len(STAGES)]
        stages = {stage_of(p) for p in tail}
        assert {"referred", "planned", "in_induction", "screened:not_eligible"} <= stages
        assert stages & {"screened:eligible", "screened:eligible_with_cautions"}
        planned = TreatmentPlan.objects.filter(clinic=clinic, protocol_code="iv_ketamine").get()
        assert DoseOrder.objects.filter(plan=planned).exists()
        # The benzodiazepine caution was accepted with a written justification.
        accepted = CautionAcceptance.objects.filter(clinic=clinic)
        assert accepted.exists()
        assert all(len(a.justification) >= 10 for a in accepted)
