"""Seed step: a few referrals in each demo clinic, at each stage of the referrals
worklist, with one acceptance letter sent (through ketacare.referrals.services)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.patients.models import Patient
from ketacare.referrals import services

REASONS = (
    "Recurrent depression; no response to sertraline or venlafaxine at full dose.",
    "Treatment-resistant depression with passive suicidal thoughts; please assess urgently.",
    "Depression for two years despite three antidepressants and CBT.",
    "Asked about esketamine nasal spray after reading about it; two failed trials.",
    "Bipolar II depression, currently on lamotrigine; low mood for six months.",
)
# (stage reached, days since the referral arrived)
STAGES = (
    ("new", 1),
    ("contacted", 4),
    ("screening_booked", 9),
    ("accepted", 20),
    ("declined", 15),
)


def _desk(clinic: Clinic, users: dict[str, User]) -> ClinicAccess:
    """The front desk if the clinic has one, else its administrator."""
    desk = Membership.objects.filter(clinic=clinic, role=Role.FRONT_DESK).first()
    if desk is not None:
        return ClinicAccess(user=desk.user, clinic=clinic, role=Role.FRONT_DESK)
    return ClinicAccess(user=users["admin"], clinic=clinic, role=Role.CLINIC_ADMIN)


def _prescriber(clinic: Clinic) -> ClinicAccess:
    found = Membership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).order_by("id")
    membership = found.first()
    assert membership is not None, "every demo clinic has a prescriber"
    return ClinicAccess(user=membership.user, clinic=clinic, role=Role.PRESCRIBER)


def seed_referrals(users: dict[str, User]) -> None:
    from ketacare.demo.seed import CLINICS

    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        desk, prescriber = _desk(clinic, users), _prescriber(clinic)
        referred = Patient.objects.filter(clinic=clinic).exclude(referring_clinician_name="")
        first = referred.order_by("mrn")[: len(STAGES)]
        for n, (patient, (stage, days)) in enumerate(zip(first, STAGES, strict=False)):
            _referral(desk, prescriber, patient, stage, days, REASONS[n % len(REASONS)])


def _referral(
    desk: ClinicAccess, prescriber: ClinicAccess, patient: Patient, stage: str, days: int, why: str
) -> None:
    clinic = desk.clinic
    now = timezone.now()
    received = clinic.today() - dt.timedelta(days=days)
    slug = patient.referring_clinician_name.split()[-1].lower()
    referral = services.referral_create(
        access=desk,
        patient_id=patient.pk,
        data={
            "referrer_name": patient.referring_clinician_name,
            "referrer_organisation": patient.referring_clinician_organisation,
            "referrer_email": f"{slug}@practice.example.org",
            "reason": why,
            "received_on": received,
        },
        now=now,
    )
    path = {
        "new": [],
        "contacted": [(desk, "contacted", "")],
        "screening_booked": [(desk, "contacted", ""), (desk, "screening_booked", "")],
        "accepted": [(desk, "contacted", ""), (prescriber, "accepted", "")],
        "declined": [
            (desk, "contacted", ""),
            (prescriber, "declined", "Active psychosis: referred back for psychiatric review."),
        ],
    }[stage]
    for access, status, reason in path:
        services.referral_move(
            access=access, referral_id=referral.pk, status=status, reason=reason, now=now
        )
    if stage == "accepted":
        services.referral_letter_send(
            access=prescriber, referral_id=referral.pk, kind="acceptance", now=now
        )
