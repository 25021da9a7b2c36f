"""Demo step: patients at each stage before and early in treatment.

Per clinic, the last patients by MRN (the measurement stories use the first ones) are
taken through the services to one of these stages:

- referred: registered, current episode recorded, nothing else yet;
- screened: treatment history making them treatment-resistant, and a screening
  (eligible; eligible with an accepted benzodiazepine caution; not eligible);
- planned: screened, with an IV course and a dose order starting next week;
- in induction: an esketamine course that started today, its first session given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.demo import paper
from ketacare.dosing import services as dosing
from ketacare.eligibility import services as eligibility
from ketacare.eligibility.models import AntidepressantTrial, Episode, OtherTreatment
from ketacare.eligibility.screening import NOTHING_PRESENT
from ketacare.eligibility.selectors import open_cautions
from ketacare.patients import services as patients
from ketacare.patients.models import BodyMeasurement, Medication, Patient

CLEAR = NOTHING_PRESENT
FAILED_TRIALS = [
    ("Sertraline", "ssri", "150", "8", "no_response"),
    ("Venlafaxine", "snri", "225", "6", "partial_response"),
    ("Mirtazapine", "nassa", "45", "6", "intolerance"),
]


def seed_planning(users: dict[str, User]) -> None:
    """Seed step: one patient per stage in every demo clinic."""
    from ketacare.demo.seed import CLINICS

    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        prescriber = _prescriber(clinic)
        tail = list(Patient.objects.filter(clinic=clinic).order_by("-mrn")[: len(STAGES)])
        for patient, stage in zip(tail, STAGES, strict=True):
            stage(prescriber, patient, clinic.today())


def _prescriber(clinic: Clinic) -> ClinicAccess:
    return _member(clinic, Role.PRESCRIBER)


def _member(clinic: Clinic, role: Role) -> ClinicAccess:
    membership = (
        Membership.objects.select_related("user")
        .filter(clinic=clinic, role=role)
        .order_by("id")
        .first()
    )
    assert membership is not None, f"every demo clinic has a {role.label.lower()}"
    return ClinicAccess(user=membership.user, clinic=clinic, role=role)


def referred(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    _episode(access, patient, today)


def _episode(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    eligibility.history_add(
        access=access,
        patient_id=patient.pk,
        model=Episode,
        data={
            "start_date": today - dt.timedelta(days=400),
            "severity": "severe",
            "psychotic_features": False,
            "indication": "major_depression",
        },
    )


def resistant_history(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    _episode(access, patient, today)
    for drug, drug_class, dose, weeks, outcome in FAILED_TRIALS:
        eligibility.history_add(
            access=access,
            patient_id=patient.pk,
            model=AntidepressantTrial,
            data={
                "drug": drug,
                "drug_class": drug_class,
                "max_daily_dose_mg": Decimal(dose),
                "weeks_at_dose": Decimal(weeks),
                "outcome": outcome,
            },
        )
    eligibility.history_add(
        access=access,
        patient_id=patient.pk,
        model=OtherTreatment,
        data={
            "kind": "psychotherapy",
            "description": "CBT, 16 sessions",
            "outcome": "partial_response",
        },
    )


def screen_and_accept(
    access: ClinicAccess, patient: Patient, protocol: str, answers: dict[str, str] | None = None
) -> None:
    screening = eligibility.screening_run(
        access=access,
        patient_id=patient.pk,
        protocol_code=protocol,
        checklist={"answers": answers or CLEAR, "bp_systolic": 128, "bp_diastolic": 82},
    )
    for caution in open_cautions(screening):
        eligibility.caution_accept(
            access=access,
            patient_id=patient.pk,
            screening_id=screening.pk,
            code=caution["code"],
            justification="Discussed at the team meeting: benefit outweighs the risk; "
            "monitor closely.",
        )


def screened(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    resistant_history(access, patient, today)
    screen_and_accept(access, patient, "iv_ketamine")


def screened_with_benzodiazepine(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    resistant_history(access, patient, today)
    patients.record_add(
        access=access,
        patient_id=patient.pk,
        model=Medication,
        data={"name": "Lorazepam", "dose": "2 mg", "frequency": "twice daily", "route": "oral"},
    )
    screen_and_accept(access, patient, "iv_ketamine")  # the 4 mg/day caution, accepted


def not_eligible(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    resistant_history(access, patient, today)
    eligibility.screening_run(
        access=access,
        patient_id=patient.pk,
        protocol_code="esketamine_trd",
        checklist={
            "answers": {**CLEAR, "aneurysmal_vascular_disease": "yes"},
            "bp_systolic": 134,
            "bp_diastolic": 86,
        },
    )


def planned(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    screened(access, patient, today)
    weigh(access, patient, today)  # weight-based dosing needs a recent weight
    monday = today + dt.timedelta(days=7 - today.weekday())
    plan = dosing.plan_create(
        access=access,
        patient_id=patient.pk,
        given=dosing.PlanInput(
            indication="major_depression",
            protocol_code="iv_ketamine",
            schedule="3_per_week",
            start_date=monday,
            start_dose=Decimal("0.5"),
        ),
    ).plan
    dosing.order_create(
        access=access,
        patient_id=patient.pk,
        given=dosing.DoseInput(
            "iv_ketamine", Decimal("0.5"), concentration_mg_per_ml=Decimal("10")
        ),
        plan_id=plan.pk,
    )


def weigh(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    """Weighed on `today` (their last weight again): a weight-based dose needs a recent one."""
    last = BodyMeasurement.objects.filter(patient=patient).order_by("-measured_on").first()
    patients.record_add(
        access=access,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={
            "measured_on": today,
            "weight_kg": last.weight_kg if last else Decimal("72.0"),
            "height_cm": last.height_cm if last else Decimal("170.0"),
        },
    )


def in_induction(access: ClinicAccess, patient: Patient, today: dt.date) -> None:
    resistant_history(access, patient, today)
    screen_and_accept(access, patient, "esketamine_trd")
    result = dosing.plan_create(
        access=access,
        patient_id=patient.pk,
        given=dosing.PlanInput(
            indication="major_depression",
            protocol_code="esketamine_trd",
            schedule="label_then_weekly",
            start_date=today,
            start_dose=Decimal("56"),
        ),
    )
    first = result.sessions[0]
    started = timezone.now() - dt.timedelta(hours=1)
    if access.clinic.date_of(first.scheduled_start) != today:
        # Today is not an opening day: the demo's first session was an agreed urgent start.
        first = dosing.session_reschedule(
            access=access,
            patient_id=patient.pk,
            session_id=first.pk,
            scheduled_start=started,
            override_reason="Urgent start agreed with the patient on a closed day.",
        )
    _given_on_paper(access, patient, first, min(first.scheduled_start, started))


def _given_on_paper(
    access: ClinicAccess, patient: Patient, session: Any, started: dt.datetime
) -> None:
    """The first 56 mg session, charted on paper and entered through the same rules as a
    live session (ketacare.demo.paper): consent, the order double-checked by the clinic's
    nurse, check-in with a baseline, REMS enrollment and the prescriber on site."""
    paper.consent(access, patient, access.clinic.date_of(started))
    paper.enter_given(access, _member(access.clinic, Role.NURSE), session, started, Decimal(56))


STAGES: list[Callable[[ClinicAccess, Patient, dt.date], None]] = [
    referred,
    screened,
    screened_with_benzodiazepine,
    not_eligible,
    planned,
    in_induction,
]
