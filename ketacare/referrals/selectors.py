"""Referral reads, always within the caller's clinic: one referral, the referrals
worklist by status, a clinic's letter template, and the chart facts a letter fills in."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.common.errors import NotFound
from ketacare.measures import get_instrument
from ketacare.outcomes.config import config_for
from ketacare.outcomes.course import Status as Verdict
from ketacare.outcomes.models import CourseInstrumentState, CourseState
from ketacare.referrals import core
from ketacare.referrals.models import LetterTemplate, Referral

NOT_YET = "not yet"
NOT_RECORDED = "not recorded"
VERDICT_WORDS = {
    Verdict.MET: "yes",
    Verdict.NOT_MET: "no",
    Verdict.MISSING: "not yet known",
    Verdict.NOT_APPLICABLE: "cannot be judged",
}


def referral_get(
    *, access: ClinicAccess, referral_id: uuid.UUID | str, for_update: bool = False
) -> Referral:
    rows = Referral.objects.filter(clinic=access.clinic, entered_in_error_at=None)
    if for_update:
        rows = rows.select_for_update(of=("self",))  # the letter join is nullable
    try:
        return rows.select_related("patient", "letter").get(pk=referral_id)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise NotFound("referral") from None


@dataclass(frozen=True)
class ReferralList:
    referrals: list[Referral]
    counts: dict[str, int]  # by status, over the whole clinic


def referral_list(*, access: ClinicAccess, status: str = "") -> ReferralList:
    """The clinic's referrals, oldest received first, of one status or all (two queries)."""
    rows: QuerySet[Referral] = Referral.objects.filter(
        clinic=access.clinic, entered_in_error_at=None
    )
    counts = dict(rows.values("status").annotate(n=Count("id")).values_list("status", "n"))
    if status:
        rows = rows.filter(status=status)
    listed = list(rows.select_related("patient").order_by("received_on", "created_at"))
    return ReferralList(listed, {s.value: counts.get(s.value, 0) for s in core.Status})


def referrals_of_patient(*, access: ClinicAccess, patient_id: uuid.UUID) -> list[Referral]:
    return list(
        Referral.objects.filter(
            clinic=access.clinic, patient_id=patient_id, entered_in_error_at=None
        ).order_by("-received_on")
    )


def letter_template(clinic: Clinic, kind: str) -> LetterTemplate:
    """The clinic's wording of a letter, or the default (unsaved) until it is edited."""
    saved = LetterTemplate.objects.filter(clinic=clinic, kind=kind).first()
    if saved is not None:
        return saved
    subject, body = core.DEFAULT_TEMPLATES[core.LetterKind(kind)]
    return LetterTemplate(clinic=clinic, kind=kind, subject=subject, body=body)


def letter_facts(*, access: ClinicAccess, referral: Referral, now: dt.datetime) -> dict[str, str]:
    """Every field a letter template may name (core.FIELDS), from the chart: the patient,
    the referral, and the current course's stored state on the clinic's primary scale."""
    patient, clinic = referral.patient, access.clinic
    instrument = get_instrument(config_for(clinic).options.primary_instrument)
    facts = {
        "referrer_name": referral.referrer_name,
        "patient_name": f"{patient.legal_given_name} {patient.legal_family_name}",
        "patient_date_of_birth": f"{patient.date_of_birth:%Y-%m-%d}",
        "mrn": patient.mrn,
        "referral_date": f"{referral.received_on:%Y-%m-%d}",
        "referral_reason": referral.reason,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.site_phone or NOT_RECORDED,
        "today": f"{clinic.date_of(now):%Y-%m-%d}",
        "signed_by": access.user.display_name or access.user.get_username(),
        "scale": instrument.abbreviation,
        "first_session": NOT_YET,
        "latest_session": NOT_YET,
        "sessions_given": "0",
        "baseline_score": NOT_RECORDED,
        "latest_score": NOT_RECORDED,
        "response": VERDICT_WORDS[Verdict.MISSING],
        "remission": VERDICT_WORDS[Verdict.MISSING],
    }
    course = CourseState.objects.filter(clinic=clinic, patient=patient, is_current=True).first()
    if course is None:
        return facts
    facts |= {
        "first_session": f"{course.first_dose_date:%Y-%m-%d}",
        "latest_session": f"{clinic.date_of(course.last_session_at):%Y-%m-%d}",
        "sessions_given": str(course.sessions),
    }
    scored = CourseInstrumentState.objects.filter(course=course, instrument=instrument.code).first()
    if scored is not None:
        facts |= {
            "baseline_score": NOT_RECORDED if scored.baseline is None else str(scored.baseline),
            "latest_score": NOT_RECORDED if scored.latest is None else str(scored.latest),
            "response": VERDICT_WORDS.get(Verdict(scored.response), scored.response),
            "remission": VERDICT_WORDS.get(Verdict(scored.remission), scored.remission),
        }
    return facts
