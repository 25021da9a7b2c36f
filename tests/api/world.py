"""Two clinics with a full chart each, and the people who work in them.

Each chart also has measurement-based care records: a scheduled treatment session, a
PHQ-9 response (item 9 = 1) with its score and the open safety alert it raised, an
open self-report link sent by SMS, and the patient's measurement plan; and an active
esketamine treatment plan (its sessions booked for January 2025, inside the booking
window) with a dose order awaiting its double-check.

The world is built on the test clock at WORLD_BUILT_AT (the live sessions are dosed on
the session builders' clock, an hour later), and its tests run at WORLD_NOW, so that what
they read (overdue readings, "today") does not depend on the real date.

Shared by the API and web integration tests. Everything is written through the
services, so each clinic's audit trail is real. Clinic A's records are what
clinic-B users try to reach; clinic B's are theirs.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.files.base import ContentFile
from django.db import models
from django.test import Client

from ketacare.accounts import services as accounts
from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import ApiToken, Clinic, Membership
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.audit.services import Action
from ketacare.consent import services as consent
from ketacare.consent.models import ConsentDocument, ConsentDocumentVersion, EConsent
from ketacare.dosing import services as dosing
from ketacare.dosing.models import (
    ClinicCalendar,
    ClinicDosingSettings,
    ClinicProtocol,
    DoseOrder,
    TreatmentPlan,
    TreatmentPlanVersion,
)
from ketacare.education import services as education
from ketacare.education.models import Article, ArticleVersion, EducationSend, EducationSettings
from ketacare.eligibility import services as eligibility
from ketacare.eligibility.models import (
    AntidepressantTrial,
    CautionAcceptance,
    EligibilitySettings,
    Episode,
    OtherTreatment,
    ScreeningChecklist,
    ScreeningResult,
)
from ketacare.exchange.models import ChartDocument, ExportJob
from ketacare.measures import services as measures
from ketacare.measures.models import (
    ClinicMeasureSettings,
    MeasurementPlan,
    MeasurementRule,
    QuestionnaireResponse,
    SafetyAlert,
    Score,
    SelfReportLink,
)
from ketacare.messaging.models import OutboundMessage
from ketacare.notes.models import Note, NoteAddendum, NoteTemplate
from ketacare.outcomes import services as outcomes
from ketacare.outcomes.models import ClinicalEvent, ClinicOutcomeSettings, MaintenanceDecision
from ketacare.patients import services as patients
from ketacare.patients.api import CHART_ENTRY_PATHS
from ketacare.patients.models import Patient
from ketacare.referrals import services as referrals
from ketacare.referrals.models import LetterTemplate, Referral, ReferralLetter, ReferralStep
from ketacare.treatment import charting
from ketacare.treatment import services as treatment
from ketacare.treatment.models import (
    Administration,
    AdministrationEvent,
    AdverseEvent,
    PreDoseAssessment,
    RemsEnrollment,
    SessionAlert,
    SideEffect,
    TreatmentSession,
    VitalReading,
)
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.factories import UserFactory
from tests.sessions.build import BEFORE_SESSIONS, T0

# The chart is written before the live sessions start (at T0, a Monday); the tests read
# it two hours after they did.
WORLD_BUILT_AT = BEFORE_SESSIONS
WORLD_NOW = T0 + dt.timedelta(hours=2)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

# One entry of each kind of chart entry, as a service takes it.
ENTRY_DATA: dict[str, dict[str, Any]] = {
    "weights": {
        "measured_on": dt.date(2024, 1, 15),
        "weight_kg": Decimal("80.0"),
        "height_cm": Decimal("175.0"),
    },
    "allergies": {"substance": "Penicillin", "reaction": "Rash", "severity": "moderate"},
    "medications": {
        "name": "Sertraline",
        "dose": "100 mg",
        "frequency": "once daily",
        "start_date": dt.date(2023, 6, 1),
    },
    "diagnoses": {"icd10_code": "F33.2", "description": "Major depressive disorder, recurrent"},
    "consents": {
        "kind": "treatment",
        "decision": "granted",
        "document_version": "v1",
        "decided_on": dt.date(2024, 1, 15),
    },
}


# PHQ-9 answers: total 9 (mild), item 9 = 1 raises a suicidal-ideation safety alert.
PHQ9_ITEM9_ANSWERS = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]


@dataclass(frozen=True)
class ClinicRecords:
    """One clinic's patient, one entry per chart section, one API token, and the
    patient's measurement records."""

    clinic: Clinic
    patient: Patient
    entries: dict[str, uuid.UUID]
    token_id: int
    session_id: uuid.UUID  # a scheduled treatment session
    response_id: uuid.UUID  # a PHQ-9 with its score...
    alert_id: uuid.UUID  # ... and the open safety alert it raised
    link_id: uuid.UUID  # an open self-report link
    order_id: uuid.UUID  # an esketamine dose order, not yet double-checked...
    plan_id: uuid.UUID  # ... and an active esketamine treatment plan
    live_session_id: uuid.UUID | None = None  # an IV session dosing, with an open alert
    session_alert_id: uuid.UUID | None = None  # ... that alert
    session_entry_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # on the live one
    # Sessions in the other states an action needs (see add_state_session).
    sessions: dict[str, uuid.UUID] = field(default_factory=dict)
    letter_id: uuid.UUID | None = None  # a referral letter on the chart (ketacare.exchange)
    # An IM consent document, its version, and the patient's e-consent on it, signed
    # through its link and awaiting the countersignature (ketacare.consent).
    consent_document_id: uuid.UUID | None = None
    consent_version_id: uuid.UUID | None = None
    econsent_id: uuid.UUID | None = None
    # A draft KAP integration note with text, by the clinic's world prescriber, and a signed
    # one flagged as psychotherapy notes (ketacare.notes).
    note_id: uuid.UUID | None = None
    signed_note_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None  # a new referral (ketacare.referrals)
    article_id: uuid.UUID | None = None  # the IV education article (ketacare.education)
    # A record to merge the patient into ("kept") and a merge of two others to undo
    # ("merge"), built by add_merge_records for the merge operations' tests only.
    merge_ids: dict[str, uuid.UUID] = field(default_factory=dict)


@dataclass(frozen=True)
class World:
    a: ClinicRecords
    b: ClinicRecords
    b_member: ClinicAccess  # a prescriber who works in clinic B only
    dual_a: ClinicAccess  # one user, prescriber in both clinics: acting in A...
    dual_b: ClinicAccess  # ... and acting in B
    dual_token_a: str  # raw Bearer tokens of the dual user, one per clinic
    dual_token_b: str
    b_token: str  # raw Bearer token of b_member


def add_chart(
    access: ClinicAccess, *, mrn: str, given: str, family: str, born: dt.date
) -> tuple[Patient, dict[str, uuid.UUID]]:
    patient = patients.patient_create(
        access=access,
        data={
            "mrn": mrn,
            "legal_given_name": given,
            "legal_family_name": family,
            "date_of_birth": born,
            "sex_at_birth": "female",
            "phone": "+44 20 7946 0000",
        },
    )
    entries = {}
    for section, model in CHART_ENTRY_PATHS.items():
        record = patients.record_add(
            access=access, patient_id=patient.pk, model=model, data=ENTRY_DATA[section]
        )
        entries[section] = record.pk
    event = outcomes.clinical_event_record(
        access=access,
        patient_id=patient.pk,
        kind="hospitalisation",
        occurred_at=dt.datetime(2024, 2, 1, 12, 0, tzinfo=dt.UTC),
    )
    entries["clinical-events"] = event.pk
    return patient, entries | add_history(access, patient)


# One entry of each kind of treatment history, as a service takes it.
HISTORY_DATA: dict[str, dict[str, Any]] = {
    "episodes": {
        "start_date": dt.date(2024, 1, 10),
        "severity": "severe",
        "psychotic_features": False,
        "indication": "major_depression",
    },
    "trials": {
        "drug": "Sertraline",
        "drug_class": "ssri",
        "max_daily_dose_mg": Decimal("150"),
        "weeks_at_dose": Decimal("8"),
        "outcome": "no_response",
    },
    "treatments": {
        "kind": "augmentation",
        "description": "Aripiprazole 5 mg",
        "outcome": "no_response",
    },
}


def add_history(access: ClinicAccess, patient: Patient) -> dict[str, uuid.UUID]:
    """An episode, one failed trial (not yet resistant), an augmentation, and a
    screening for IM ketamine (no session uses it, so nothing accepts it) with the open
    caution "not_treatment_resistant"."""
    entries = {
        section: eligibility.history_add(
            access=access, patient_id=patient.pk, model=model, data=HISTORY_DATA[section]
        ).pk
        for section, model in eligibility.HISTORY_MODELS.items()
    }
    screening = eligibility.screening_run(
        access=access, patient_id=patient.pk, protocol_code="im_ketamine"
    )
    return entries | {"screenings": screening.pk}


@dataclass(frozen=True)
class MeasureRecords:
    session_id: uuid.UUID
    response_id: uuid.UUID
    alert_id: uuid.UUID
    link_id: uuid.UUID


# A maintenance course in January 2024 whose relief was lost 11 days after each of its
# two sessions, so the outcomes service has a next-session recommendation to act on.
COURSE_SESSIONS = (
    dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC),
    dt.datetime(2024, 1, 15, 9, 0, tzinfo=dt.UTC),
)
COURSE_PHQ9 = ((-1, 20), (1, 5), (11, 11), (15, 4), (25, 10))  # (day from 1 January, total)


def add_course(access: ClinicAccess, patient: Patient) -> None:
    from tests.sessions.build import record_past

    for start in COURSE_SESSIONS:  # entered from the paper chart, with everything it needs
        record_past(access, patient, start)
    for day, total in COURSE_PHQ9:
        answers = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0, 1]
        measures.response_record(
            access=access,
            patient_id=patient.pk,
            instrument="phq9",
            answers=answers,
            context="between_sessions",
            answered_at=COURSE_SESSIONS[0] + dt.timedelta(days=day, hours=2),
        )


def add_measures(access: ClinicAccess, patient: Patient) -> MeasureRecords:
    """A given course (see add_course), a scheduled session, a scored PHQ-9 with its open
    alert, an open link and a plan."""
    add_course(access, patient)
    session = treatment.session_schedule(
        access=access,
        patient_id=patient.pk,
        scheduled_start=dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC),
    )
    recorded = measures.response_record(
        access=access,
        patient_id=patient.pk,
        instrument="phq9",
        answers=PHQ9_ITEM9_ANSWERS,
        context="baseline",
        answered_at=dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC),
    )
    (alert,) = recorded.alerts
    link = measures.link_create(
        access=access, patient_id=patient.pk, instruments=["phq9"], channel="sms"
    )
    measures.plan_set(
        access=access,
        patient_id=patient.pk,
        starts_on=dt.date(2024, 3, 1),
        rules=[measures.RuleInput(kind="every_n_days", instruments=("phq9",), interval_days=7)],
    )
    return MeasureRecords(session.pk, recorded.response.pk, alert.pk, link.pk)


def add_dosing(clinic: Clinic, patient: Patient) -> tuple[uuid.UUID, uuid.UUID]:
    """A plan and an order, by a prescriber other than the world's (so those may
    double-check the order). Esketamine is a fixed dose: no fresh weight is needed."""
    prescriber = member(clinic, Role.PRESCRIBER)
    clear_for_protocol(prescriber, patient.pk, "esketamine_mdsi", "esketamine_trd")
    plan = dosing.plan_create(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.PlanInput(
            indication="major_depression",
            protocol_code="esketamine_mdsi",  # 8 sessions: the shortest course
            schedule="label",
            start_date=dt.date(2025, 1, 6),
            start_dose=Decimal("84"),
        ),
    ).plan
    order = dosing.order_create(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.DoseInput("esketamine_mdsi", Decimal("56")),
        plan_id=plan.pk,
    )
    return order.pk, plan.pk


@dataclass(frozen=True)
class LiveSession:
    session_id: uuid.UUID
    alert_id: uuid.UUID
    entry_ids: dict[str, uuid.UUID]


def add_live_session(access: ClinicAccess, patient: Patient) -> LiveSession:
    """An IV session under way (the caller is its on-site prescriber) with an open alert,
    a side effect and an adverse event."""
    from tests.sessions.build import ids, start_iv, to_pre_dose, vitals

    session = to_pre_dose(access, access, patient)
    treatment.supervisor_attest(access=access, patient_id=patient.pk, session_id=session.pk)
    start_iv(access, session)
    (stored,) = vitals(access, session, "world-1", systolic=185, diastolic=112)
    effect = charting.side_effect_record(
        access=access, **ids(session), effect="nausea", severity="mild"
    )
    event = charting.adverse_event_record(
        access=access,
        **ids(session),
        description="Vasovagal episode",
        serious=False,
        action_taken="Legs raised",
        outcome="resolved",
    )
    return LiveSession(
        session.pk,
        stored.alerts[0].pk,
        {"side-effects": effect.pk, "adverse-events": event.pk},
    )


def add_state_session(world: World, kind: str) -> None:
    """Give each clinic's patient a session in the state an action needs (kinds as in
    tests.api.operations.STATE_SESSION_OPERATIONS). Built on the test clock (2024), which
    then goes back to WORLD_NOW; only the tests of such actions pay for it."""
    from tests.sessions import build

    builders: dict[str, Any] = {
        "pre_dose": lambda a, p: build.esketamine_pre_dose(a, a, p),
        "esketamine_dosing": lambda a, p: build.esketamine_dosing(a, a, p),
        "ordered": build.ordered_by_a_colleague,
        "paper": lambda a, p: build.esketamine_pre_dose(a, a, p),
        "ready": lambda a, p: build.iv_ready(a, a, p),
        "discharged": build.given,
        "signed": build.signed,
        "rems": lambda a, p: build.esketamine_discharged(a, a, p),
    }
    for records, access in ((world.a, world.dual_a), (world.b, world.b_member)):
        if kind not in records.sessions:
            records.sessions[kind] = builders[kind](access, records.patient).pk
    fix_clock(WORLD_NOW)


def add_merge_records(world: World) -> None:
    """In each clinic: a record the patient can be merged into, and a merge (of two other
    records registered twice) that can be undone."""
    from ketacare.patients import merge

    for records, access in ((world.a, world.dual_a), (world.b, world.b_member)):
        if records.merge_ids:
            continue
        letter = records.patient.mrn[0]

        def new(
            number: int, given: str, access: ClinicAccess = access, letter: str = letter
        ) -> Patient:
            data = {
                "mrn": f"{letter}-M{number}",
                "legal_given_name": given,
                "legal_family_name": f"Mergeton{letter}",
                "date_of_birth": dt.date(1990, 1, 1),
                "sex_at_birth": "female",
            }
            return patients.patient_create(access=access, data=data, confirm_not_duplicate=True)

        kept, spare, twice = new(1, "Kim"), new(2, "Lou"), new(3, "Lou")
        done = merge.patient_merge(
            access=access, patient_id=twice.pk, kept_id=spare.pk, reason="Registered twice"
        )
        records.merge_ids.update(kept=kept.pk, merge=done.pk)


def member(clinic: Clinic, role: Role, user: Any = None) -> ClinicAccess:
    user = user or UserFactory()
    accounts.membership_set(clinic=clinic, user=user, role=role, actor=None)
    return ClinicAccess(user=user, clinic=clinic, role=role)


def build_world(clinic_a: Clinic, clinic_b: Clinic) -> World:
    """Both clinics' records, built on the test clock; the clock is left at WORLD_NOW."""
    fix_clock(WORLD_BUILT_AT)
    dual_a = member(clinic_a, Role.PRESCRIBER)
    dual_b = member(clinic_b, Role.PRESCRIBER, user=dual_a.user)
    b_member = member(clinic_b, Role.PRESCRIBER)
    for prescriber in (dual_a.user, b_member.user):  # the REMS form asks for it
        prescriber.email = f"{prescriber.username}@clinic.example.org"
        prescriber.save(update_fields=["email"])
    patient_a, entries_a = add_chart(
        dual_a, mrn="A-1001", given="Alice", family="Ashworth", born=dt.date(1980, 5, 17)
    )
    patient_b, entries_b = add_chart(
        b_member, mrn="B-2001", given="Bruno", family="Brennan", born=dt.date(1975, 2, 3)
    )
    token_a, raw_a = accounts.api_token_create(access=dual_a, name="a", expires_in_days=30)
    _token, raw_dual_b = accounts.api_token_create(access=dual_b, name="b", expires_in_days=30)
    token_b, raw_b = accounts.api_token_create(access=b_member, name="b", expires_in_days=30)
    measures_a = add_measures(dual_a, patient_a)
    measures_b = add_measures(b_member, patient_b)
    dosing_a, dosing_b = add_dosing(clinic_a, patient_a), add_dosing(clinic_b, patient_b)
    live_a = add_live_session(dual_a, patient_a)
    live_b = add_live_session(b_member, patient_b)
    letter_a, letter_b = add_letter(dual_a, patient_a), add_letter(b_member, patient_b)
    consent_a, consent_b = add_econsent(dual_a, patient_a), add_econsent(b_member, patient_b)
    notes_a, notes_b = add_notes(dual_a, patient_a), add_notes(b_member, patient_b)
    referral_a, referral_b = add_referral(dual_a, patient_a), add_referral(b_member, patient_b)
    article_a, article_b = add_article(dual_a), add_article(b_member)
    fix_clock(WORLD_NOW)
    return World(
        a=ClinicRecords(
            clinic_a,
            patient_a,
            entries_a,
            token_a.pk,
            measures_a.session_id,
            measures_a.response_id,
            measures_a.alert_id,
            measures_a.link_id,
            *dosing_a,
            live_a.session_id,
            live_a.alert_id,
            live_a.entry_ids,
            letter_id=letter_a,
            **consent_a,
            **notes_a,
            referral_id=referral_a,
            article_id=article_a,
        ),
        b=ClinicRecords(
            clinic_b,
            patient_b,
            entries_b,
            token_b.pk,
            measures_b.session_id,
            measures_b.response_id,
            measures_b.alert_id,
            measures_b.link_id,
            *dosing_b,
            live_b.session_id,
            live_b.alert_id,
            live_b.entry_ids,
            letter_id=letter_b,
            **consent_b,
            **notes_b,
            referral_id=referral_b,
            article_id=article_b,
        ),
        b_member=b_member,
        dual_a=dual_a,
        dual_b=dual_b,
        dual_token_a=raw_a,
        dual_token_b=raw_dual_b,
        b_token=raw_b,
    )


def session_client(access: ClinicAccess, *, enforce_csrf_checks: bool = False) -> Client:
    """Signed in as the access's user, naming the access's clinic in X-Clinic."""
    client = Client(
        enforce_csrf_checks=enforce_csrf_checks, headers={"X-Clinic": access.clinic.slug}
    )
    client.force_login(access.user)
    return client


def token_client(raw: str, **headers: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}", **headers})


def call(client: Client, method: str, url: str, body: Any = None, **headers: str) -> Response:
    """Send a JSON request (or none, when body is None)."""
    if body is None:
        return client.generic(method, url, headers=headers or None)
    return client.generic(
        method,
        url,
        json.dumps(body),
        content_type="application/json",
        headers=headers or None,
    )


ELIGIBILITY_MODELS: tuple[type[models.Model], ...] = (
    Episode,
    AntidepressantTrial,
    OtherTreatment,
    ScreeningChecklist,
    ScreeningResult,
    CautionAcceptance,
)
MEASURE_MODELS: tuple[type[models.Model], ...] = (
    TreatmentSession,
    QuestionnaireResponse,
    Score,
    SafetyAlert,
    SelfReportLink,
    MeasurementPlan,
    OutboundMessage,
    MaintenanceDecision,
    ClinicalEvent,
)
DOSING_MODELS: tuple[type[models.Model], ...] = (DoseOrder, TreatmentPlan, TreatmentPlanVersion)
SESSION_MODELS: tuple[type[models.Model], ...] = (
    PreDoseAssessment,
    VitalReading,
    SessionAlert,
    Administration,
    AdministrationEvent,
    SideEffect,
    AdverseEvent,
    RemsEnrollment,
)
CLINIC_MODELS: tuple[type[models.Model], ...] = (
    Patient,
    *CHART_ENTRY_PATHS.values(),
    *MEASURE_MODELS,
    *ELIGIBILITY_MODELS,
    *DOSING_MODELS,
    ClinicProtocol,
    ClinicDosingSettings,
    ClinicCalendar,
    *SESSION_MODELS,
    ClinicMeasureSettings,
    EligibilitySettings,
    ClinicOutcomeSettings,
    ApiToken,
    Membership,
    ChartDocument,
    ExportJob,
    ConsentDocument,
    ConsentDocumentVersion,
    EConsent,
    Note,
    NoteAddendum,
    NoteTemplate,
    Article,
    ArticleVersion,
    EducationSend,
    EducationSettings,
    Referral,
    LetterTemplate,
)
RECORD_MODELS: tuple[type[models.Model], ...] = (
    Patient,
    *CHART_ENTRY_PATHS.values(),
    *MEASURE_MODELS,
    *ELIGIBILITY_MODELS,
    *DOSING_MODELS,
    *SESSION_MODELS,
    MeasurementRule,
    ChartDocument,
    Note,
    NoteAddendum,
    NoteTemplate,
    Referral,
    ReferralStep,
    ReferralLetter,
)


class NoteIds(TypedDict):
    note_id: uuid.UUID
    signed_note_id: uuid.UUID


def add_notes(access: ClinicAccess, patient: Patient) -> NoteIds:
    """A draft with text, and a signed note kept as psychotherapy notes."""
    from ketacare.notes import services as notes

    draft = notes.note_create(
        access=access,
        patient_id=patient.pk,
        note_type="progress",
        sections={"subjective": "Sleeping better"},
    )
    signed = notes.note_create(
        access=access,
        patient_id=patient.pk,
        note_type="kap_integration",
        restricted=True,
        sections={"themes": "World themes"},
    )
    notes.note_sign(access=access, patient_id=patient.pk, note_id=signed.pk)
    return {"note_id": draft.pk, "signed_note_id": signed.pk}


class EconsentIds(TypedDict):
    consent_document_id: uuid.UUID
    consent_version_id: uuid.UUID
    econsent_id: uuid.UUID


def add_econsent(access: ClinicAccess, patient: Patient) -> EconsentIds:
    """An IM e-consent, sent, checked and signed through its link (IM: no session of the
    world is intramuscular, so the world's dosing checks read only its paper consent)."""
    econsent = consent.consent_send(
        access=access, patient_id=patient.pk, treatment_form="im", channel="none"
    )
    token = measures.link_token(econsent.link)
    consent.consent_check(token=token, chosen=[q["correct"] for q in econsent.version.questions])
    consent.consent_sign(token=token, typed_name="World Patient")
    return {
        "consent_document_id": econsent.version.document_id,
        "consent_version_id": econsent.version_id,
        "econsent_id": econsent.pk,
    }


def add_article(access: ClinicAccess) -> uuid.UUID:
    """The clinic's default education articles, seeded; the IV article's id."""
    return next(a.pk for a, _v in education.articles_list(access=access) if a.topic == "iv")


def add_referral(access: ClinicAccess, patient: Patient) -> uuid.UUID:
    """A new referral, recorded through the service."""
    data = {
        "referrer_name": "Dr World",
        "referrer_email": "world@gp.example",
        "reason": "TRD",
        "received_on": WORLD_NOW.date(),
    }
    return referrals.referral_create(
        access=access, patient_id=patient.pk, data=data, now=WORLD_NOW
    ).pk


def accept_referrals(world: World) -> None:
    """Both clinics' referrals accepted by a prescriber (a letter follows acceptance)."""
    for records in (world.a, world.b):
        assert records.referral_id is not None
        referrals.referral_move(
            access=member(records.clinic, Role.PRESCRIBER),
            referral_id=records.referral_id,
            status="accepted",
            now=WORLD_NOW,
        )


def add_letter(access: ClinicAccess, patient: Patient) -> uuid.UUID:
    """A referral letter (PDF) on the chart, written directly (tests/exchange test the
    import that normally stores it)."""
    pdf = b"%PDF-1.4\n%%EOF\n"
    document = ChartDocument(
        clinic=access.clinic,
        patient=patient,
        entered_by=access.user,
        kind=ChartDocument.Kind.REFERRAL_IN,
        title="Referral letter",
        size_bytes=len(pdf),
        sha256="0" * 64,
    )
    document.file.save(f"{document.pk}.pdf", ContentFile(pdf), save=False)
    document.save()
    return document.pk


def clinic_state(clinic: Clinic) -> dict[str, Any]:
    """Every row a request could write in this clinic, to compare before and after."""
    state: dict[str, Any] = {
        model.__name__: list(model._default_manager.filter(clinic=clinic).order_by("pk").values())
        for model in CLINIC_MODELS
    }
    state["MeasurementRule"] = list(
        MeasurementRule.objects.filter(plan__clinic=clinic).order_by("pk").values()
    )
    # A refused request is itself audited, in the requester's own clinic (the chain head
    # moves with it); tests/audit/test_denials.py checks where those events go.
    state["AuditEvent"] = list(
        AuditEvent.objects.filter(clinic=clinic)
        .exclude(action=Action.DENY)
        .order_by("sequence")
        .values_list("hash", flat=True)
    )
    return state


def record_counts() -> dict[str, int]:
    """Rows of each clinical record type across all clinics."""
    return {model.__name__: model._default_manager.count() for model in RECORD_MODELS}
