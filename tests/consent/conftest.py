"""E-consent fixtures: a clinic's team on the sessions' test clock, a patient with contact
details, and helpers that walk a consent link as the patient does (through the pages)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.consent import services
from ketacare.consent.models import EConsent
from ketacare.measures.services import link_token
from ketacare.patients import services as patients
from ketacare.patients.models import Consent, Patient
from ketacare.treatment import services as treatment
from ketacare.treatment.models import TreatmentSession
from tests.api.world import member
from tests.clock import fix_clock
from tests.sessions.build import BEFORE_SESSIONS, ids, to_pre_dose
from tests.web_measures.conftest import new_patient


@pytest.fixture(autouse=True)
def _clock_before_the_sessions() -> None:
    fix_clock(BEFORE_SESSIONS)


@dataclass(frozen=True)
class Team:
    clinic: Clinic
    admin: ClinicAccess
    prescriber: ClinicAccess
    nurse: ClinicAccess
    front_desk: ClinicAccess
    patient: Patient


@pytest.fixture
def team(clinic: Clinic) -> Team:
    admin = member(clinic, Role.CLINIC_ADMIN)
    admin.user.email = "admin@clinic.example.org"
    admin.user.save(update_fields=["email"])
    prescriber = member(clinic, Role.PRESCRIBER)
    prescriber.user.email = "prescriber@clinic.example.org"  # the REMS form asks for it
    prescriber.user.save(update_fields=["email"])
    return Team(
        clinic,
        admin,
        prescriber,
        member(clinic, Role.NURSE),
        member(clinic, Role.FRONT_DESK),
        new_patient(prescriber),
    )


def without_paper_consent(team: Team) -> None:
    """Take the patient's paper consents out (entered in error): only e-consents count."""
    for consent in Consent.objects.filter(patient=team.patient):
        patients.record_mark_entered_in_error(
            access=team.prescriber,
            patient_id=team.patient.pk,
            model=Consent,
            record_id=consent.pk,
            reason="Replaced by the e-consent",
        )


def esketamine_waiting_for_consent(team: Team) -> TreatmentSession:
    """An esketamine session ready to dose in every way but consent: REMS enrolled, the
    supervisor attested, and no paper consent on the chart."""
    session = to_pre_dose(
        team.nurse, team.prescriber, team.patient, protocol="esketamine_trd", dose="56"
    )
    treatment.rems_enroll(
        access=team.nurse, patient_id=team.patient.pk, enrolled_on=session.clinic.today()
    )
    treatment.supervisor_attest(access=team.prescriber, **ids(session))
    without_paper_consent(team)
    return session


def token_of(econsent: EConsent) -> str:
    return link_token(econsent.link)


def page(econsent: EConsent) -> str:
    return reverse("consent_link", kwargs={"token": token_of(econsent)})


def right_answers(econsent: EConsent) -> dict[str, str]:
    return {f"q{n}": str(q["correct"]) for n, q in enumerate(econsent.version.questions, 1)}


def wrong_answers(econsent: EConsent) -> dict[str, str]:
    return {f"q{n}": str(1 - q["correct"]) for n, q in enumerate(econsent.version.questions, 1)}


def sign_through_the_link(econsent: EConsent, client: Client | None = None) -> EConsent:
    """Pass the understanding check and sign (typed name and a drawn stroke)."""
    client = client or Client()
    url = page(econsent)
    assert client.post(url, {"action": "check", **right_answers(econsent)}).status_code == 302
    response = client.post(
        url, {"action": "sign", "typed_name": "Mira Marlow", "signature": "M10 10 L50 40 L90 20"}
    )
    assert response.status_code == 302, response.content[:2000]
    return EConsent.objects.get(pk=econsent.pk)


def send(access: ClinicAccess, patient: Patient, form: str = "intranasal") -> EConsent:
    return services.consent_send(
        access=access, patient_id=patient.pk, treatment_form=form, channel="email"
    )


TODAY = dt.date(2024, 3, 4)
