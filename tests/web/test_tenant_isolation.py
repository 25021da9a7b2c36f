"""Every web page under a clinic answers 404 to staff of another clinic.

Each URL pattern taking a clinic slug or a patient id is requested by clinic-B staff
with clinic A's slug, or with their own slug and clinic A's ids: GET and POST (with
valid form data) answer 404 and write nothing. The control shows the same requests
work for clinic A's own staff.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from ketacare.accounts.policy import Role
from ketacare.common import clock
from ketacare.eligibility.screening import Item
from ketacare.ledger.models import Count, Location
from ketacare.messaging.models import OutboundMessage
from ketacare.patients.api import CHART_ENTRY_PATHS
from ketacare.treatment.rules import FLAG_SETTINGS, SETTING_SPECS
from ketacare.web import urls as web_urls
from ketacare.web.views.patients import CHART_TABS
from tests.api.operations import CONSENT_VERSION_BODY, EDUCATION_VERSION_BODY, NOT_BUILT
from tests.api.world import (
    ClinicRecords,
    World,
    add_merge_records,
    add_state_session,
    clinic_state,
    member,
    record_counts,
)
from tests.pages import without_csrf_tokens

PATIENT_FORM = {
    "mrn": "N-3001",
    "legal_given_name": "Nadia",
    "legal_family_name": "Novak",
    "date_of_birth": "1990-09-09",
    "sex_at_birth": "female",
}
ENTRY_FORMS: dict[str, dict[str, str]] = {
    "weights": {"measured_on": "2024-03-01", "weight_kg": "72.5", "height_cm": "170.0"},
    "allergies": {"substance": "Latex", "severity": "mild", "status": "active"},
    "medications": {
        "name": "Lamotrigine",
        "dose": "50 mg",
        "frequency": "twice daily",
        "status": "active",
    },
    "diagnoses": {"icd10_code": "F41.1", "description": "Anxiety", "status": "active"},
    "consents": {
        "kind": "research",
        "decision": "granted",
        "document_version": "v2",
        "decided_on": "2024-02-01",
    },
}
REASON = {"reason": "Entered on the wrong chart"}
SETTINGS_FORM = {
    **{spec.name: str(spec.low) for spec in SETTING_SPECS if spec.name not in FLAG_SETTINGS},
    "pregnancy_test_required": "on",
}


GUIDE_SETTINGS_FORM = {
    "preparation_hours_before": "24",
    "aftercare_hours_after": "0",
    "fasting_hours": "2",
    "arrive_minutes_before": "15",
}
LEDGER_SETTINGS_FORM = {
    "registration_number": "AB1234563",
    "schedule_authority": "III",
    "registrant_name": "Clinic",
    "require_balanced_to_sign": "on",
    "waste_witness_required": "on",
    "significant_loss_mg": "500",
    "loss_pattern_count": "3",
    "loss_notice_business_days": "1",
    "investigation_days": "7",
    "multi_dose_open_days": "28",
    "record_retention_years": "2",
}


def _ledger_count(r: ClinicRecords) -> Any:
    """A count of the clinic's (made once, straight from the models: the page only reads)."""
    existing = Count.objects.filter(clinic=r.clinic).first()
    if existing is not None:
        return existing.pk
    location, _ = Location.objects.get_or_create(clinic=r.clinic, name="Safe")
    staff = member(r.clinic, Role.COMPLIANCE).user
    return Count.objects.create(
        clinic=r.clinic,
        location=location,
        kind=Count.Kind.DAILY,
        counted_at=clock.now(),
        counted_by=staff,
        witness=member(r.clinic, Role.NURSE).user,
    ).pk


@dataclass(frozen=True)
class Page:
    """One URL of a pattern, aimed at a clinic's records."""

    name: str
    kwargs: Callable[[ClinicRecords], dict[str, Any]]
    post: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    serves_get: bool = True  # False: GET is refused (404/405) whoever asks
    role: Role = Role.PRESCRIBER  # who, in the record's own clinic, may use the page
    label: str = ""
    session_kind: str = ""  # a session in this state (tests.api.world.add_state_session)
    merges: bool = False  # needs the merge records (tests.api.world.add_merge_records)

    @property
    def id(self) -> str:
        return self.label or self.name

    def url(self, records: ClinicRecords, **override: Any) -> str:
        return reverse(self.name, kwargs={**self.kwargs(records), **override}) + self.query


def _slug(r: ClinicRecords) -> dict[str, Any]:
    return {"clinic_slug": r.clinic.slug}


def _patient(r: ClinicRecords) -> dict[str, Any]:
    return {**_slug(r), "patient_id": r.patient.pk}


def _section(section: str) -> Callable[[ClinicRecords], dict[str, Any]]:
    return lambda r: {**_patient(r), "section": section}


def _entry(section: str) -> Callable[[ClinicRecords], dict[str, Any]]:
    return lambda r: {**_section(section)(r), "entry_id": r.entries[section]}


def _note(r: ClinicRecords) -> dict[str, Any]:
    return {**_patient(r), "note_id": r.note_id}


def _referral(r: ClinicRecords) -> dict[str, Any]:
    return {**_slug(r), "referral_id": r.referral_id}


REFERRAL_FORM = {"referrer_name": "Dr X", "reason": "TRD", "received_on": "2024-03-01"}


def _failed_message(r: ClinicRecords) -> dict[str, Any]:
    """A message of the clinic whose delivery failed (made when first asked for)."""
    message, _ = OutboundMessage.objects.get_or_create(
        clinic=r.clinic,
        purpose="tenancy_check",
        defaults={"channel": "sms", "to": "+447700900999", "body": "-", "status": "failed"},
    )
    return {**_slug(r), "message_id": message.pk}


CHECKLIST_FORM = {
    "protocol_code": "iv_ketamine",
    "bp_systolic": "120",
    "bp_diastolic": "80",
    **{f"item_{item.value}": "no" for item in Item},
}
ELIGIBILITY_PAGES = [
    Page(
        "history_add",
        lambda r: {**_patient(r), "kind": "trials"},
        post={
            "drug": "Venlafaxine",
            "drug_class": "snri",
            "max_daily_dose_mg": "225",
            "weeks_at_dose": "6",
            "adherence": "good",
            "outcome": "no_response",
            "in_current_episode": "on",
        },
        serves_get=False,
    ),
    Page(
        "history_retract",
        lambda r: {**_patient(r), "kind": "trials", "entry_id": r.entries["trials"]},
        post=REASON,
        serves_get=False,
    ),
    Page("screening_run", _patient, post=CHECKLIST_FORM, serves_get=False),
    Page(
        "caution_accept",
        lambda r: {**_patient(r), "screening_id": r.entries["screenings"]},
        post={"code": "not_treatment_resistant", "justification": "Referral letter documents it."},
        serves_get=False,
    ),
    Page(
        "cautions_accept",
        lambda r: {**_patient(r), "screening_id": r.entries["screenings"]},
        post={"justification:not_treatment_resistant": "Referral letter documents it."},
        serves_get=False,
    ),
    Page("eligibility_settings", _slug, post={"min_failed_trials": "3"}),
]


def _pages() -> list[Page]:
    pages = [
        Page("clinic_home", _slug),
        Page("patient_list", _slug),
        Page("patient_list", _slug, query="?q=Ashworth&archived=1", label="patient_list?q"),
        Page("patient_new", _slug, post=PATIENT_FORM),
        Page("patient_chart", _patient),
        Page("patient_edit", _patient, post={**PATIENT_FORM, "mrn": "A-1001"}),
        Page("patient_archive", _patient, post=REASON),
        # Merge the patient into clinic A's "A-M1" (add_merge_records); B's pages name it
        # too, so their 404 can only come from the patient in the path.
        Page(
            "patient_merge",
            _patient,
            post={"kept_mrn": "A-M1", "reason": "Registered twice"},
            query="?kept_mrn=A-M1",
            merges=True,
        ),
        Page(
            "merge_undo",
            lambda r: {**_slug(r), "merge_id": r.merge_ids.get("merge", NOT_BUILT)},
            post=REASON,
            merges=True,
        ),
        Page("audit_list", _slug, role=Role.COMPLIANCE),
        Page("audit_list", _slug, query="?format=csv", role=Role.COMPLIANCE, label="audit_csv"),
        Page("token_list", _slug, post={"name": "lab", "expires_in_days": "30"}),
        Page("failed_deliveries", _slug, role=Role.CLINIC_ADMIN),
        Page(
            "failed_delivery_dismiss",
            _failed_message,
            serves_get=False,
            role=Role.CLINIC_ADMIN,
        ),
        Page(
            "token_revoke",
            lambda r: {**_slug(r), "token_id": r.token_id},
            serves_get=False,
        ),
        Page("dashboard", _slug),
        Page("simulator", _slug),
        Page(
            "alert_acknowledge",
            lambda r: {**_slug(r), "alert_id": r.alert_id},
            post={"action_taken": "contacted_patient"},
            serves_get=False,
        ),
        Page("patient_measures", _patient),
        Page(
            "measure_record",
            _patient,
            post={"instrument": "gad7", "context": "baseline"}
            | {f"item_{n}": "1" for n in range(1, 8)},
            serves_get=False,
        ),
        Page(
            "measure_link_create",
            _patient,
            post={"instruments": "gad7", "context": "baseline", "channel": "none"},
            serves_get=False,
        ),
        Page(
            "measure_link_revoke",
            lambda r: {**_patient(r), "link_id": r.link_id},
            serves_get=False,
        ),
        Page(
            "measure_plan",
            _patient,
            post={
                "starts_on": "2025-01-01",
                "rules-TOTAL_FORMS": "1",
                "rules-INITIAL_FORMS": "0",
                "rules-0-kind": "every_n_days",
                "rules-0-instruments": "phq9",
                "rules-0-interval_days": "14",
            },
            serves_get=False,
        ),
        Page(
            "session_schedule",
            _patient,
            post={"scheduled_start": "2030-01-01T10:00"},
            serves_get=False,
        ),
        Page(
            "session_given",
            lambda r: {**_patient(r), "session_id": r.session_id},
            post={"dosing_started_at": "2026-01-01T10:00"},
            serves_get=False,
        ),
        Page(
            "session_cancel",
            lambda r: {**_patient(r), "session_id": r.session_id},
            post={"reason": "unwell"},
            serves_get=False,
        ),
        *ELIGIBILITY_PAGES,
        # Plan & orders (ketacare.dosing).
        Page("dose_preview", _patient, query="?protocol_code=esketamine_trd&dose=56"),
        Page(
            "plan_create",
            _patient,
            post={
                "indication": "major_depression",
                "protocol_code": "esketamine_trd",
                "schedule": "label_then_weekly",
                "start_date": "2030-03-04",
                "session_time": "09:00",
                "start_dose": "56",
            },
            serves_get=False,
        ),
        Page(
            "plan_change",
            lambda r: {**_patient(r), "plan_id": r.plan_id},
            post={"start_dose": "56", "reason": "Tolerability"},
            serves_get=False,
        ),
        Page(
            "plan_session_reschedule",
            lambda r: {**_patient(r), "session_id": r.session_id},
            post={"scheduled_start": "2024-03-05T10:00"},
            serves_get=False,
        ),
        Page(
            "order_create",
            _patient,
            post={"protocol_code": "esketamine_trd", "dose": "56"},
            serves_get=False,
        ),
        Page(
            "order_double_check",
            lambda r: {**_patient(r), "order_id": r.order_id},
            post={"note": "Checked"},
            serves_get=False,
        ),
        Page("clinic_protocols", _slug),
        Page(
            "clinic_protocols",
            _slug,
            query="?code=iv_ketamine",
            post={
                "code": "iv_ketamine",
                "reason": "Local review point",
                "name": "IV racemic ketamine",
                "hard_max_basis": "Our cap",
                "default_dose": "0.5",
                "dose_min": "0.1",
                "dose_max": "0.75",
                "hard_max": "0.75",
                "infusion_minutes": "40",
                "futility_review_after": "4",
                "min_days_between_sessions": "1",
            },
            label="clinic_protocols?code",
        ),
        Page(
            "dosing_settings",
            _slug,
            post={
                "basis_policy": "ideal_above_bmi",
                "bmi_threshold": "30",
                "adjusted_factor": "0.4",
                "syringe_precision_ml": "0.1",
                "pump_precision_ml_per_h": "0.01",
                "weight_max_age_days": "14",
            },
        ),
        Page(
            "clinic_calendar",
            _slug,
            post={"open_weekdays": ["0", "2", "4"], "closures": "2030-12-25 Christmas"},
            role=Role.FRONT_DESK,
        ),
        Page(
            "recommendation_accept",
            _patient,
            post={"scheduled_start": "2030-01-07T10:00"},
            serves_get=False,
        ),
        Page(
            "recommendation_dismiss",
            _patient,
            post={"reason": "Patient travelling"},
            serves_get=False,
        ),
        Page(
            "clinical_event_create",
            _patient,
            post={"kind": "suicide_attempt", "occurred_at": "2024-02-20T10:00"},
            serves_get=False,
        ),
        Page(
            "clinical_event_in_error",
            lambda r: {**_patient(r), "event_id": r.entries["clinical-events"]},
            post={"reason": "Entered on the wrong chart"},
            serves_get=False,
        ),
        Page("patient_report", _patient),
        Page("patient_report_pdf", _patient),
        Page("worklist", _slug),
        Page("outcomes_dashboard", _slug),
        Page("outcomes_dashboard", _slug, query="?csv=durability", label="outcomes_csv"),
        Page("outcome_settings", _slug, post={"lead_days": "2"}),
        Page("rems_form_list", _slug),
        Page("session_settings", _slug, post=SETTINGS_FORM),
        Page("session_page", lambda r: {**_patient(r), "session_id": r.live_session_id}),
        Page("session_alerts", lambda r: {**_patient(r), "session_id": r.live_session_id}),
        Page(
            "session_act",
            lambda r: {**_patient(r), "session_id": r.live_session_id, "action": "vitals"},
            post={"reading_id": "web-1", "systolic": "130", "diastolic": "80"},
            serves_get=False,
        ),
        Page("rems_form_page", lambda r: {**_patient(r), "session_id": r.live_session_id}),
        Page(
            "session_guides",
            lambda r: {**_patient(r), "session_id": r.live_session_id},
            post={"kind": "preparation", "channel": "email"},
        ),
        Page("guide_settings", _slug, role=Role.CLINIC_ADMIN, post=GUIDE_SETTINGS_FORM),
        Page("ledger_home", _slug, role=Role.COMPLIANCE),
        Page("ledger_report", _slug, query="?code=dispensing", role=Role.COMPLIANCE),
        Page("session_ledger", lambda r: {**_patient(r), "session_id": r.live_session_id}),
        Page("ledger_manage", _slug, role=Role.COMPLIANCE),
        Page("ledger_count", _slug, role=Role.COMPLIANCE),
        Page(
            "ledger_count_result",
            lambda r: {**_slug(r), "count_id": _ledger_count(r)},
            role=Role.COMPLIANCE,
        ),
        Page("ledger_settings", _slug, role=Role.COMPLIANCE, post=LEDGER_SETTINGS_FORM),
        Page("rems_form_csv", lambda r: {**_patient(r), "session_id": r.live_session_id}),
        # Exchange (ketacare.exchange): exports, referral import, research, letters.
        Page("export_list", _slug),
        Page("referral_import", _slug),
        Page("research_export", _slug, role=Role.RESEARCHER),
        Page("patient_letters", _patient),
        Page(
            "patient_letter_file",
            lambda r: {**_patient(r), "document_id": r.letter_id},
        ),
        Page(
            "rems_form_pdf",
            lambda r: {**_patient(r), "session_id": r.sessions.get("rems")},
            session_kind="rems",
        ),
        # The clinic's day (ketacare.schedule): the board, booking, rooms, the feed page,
        # and the front desk's session page and actions.
        Page("schedule_board", _slug, role=Role.FRONT_DESK),
        Page("schedule_book", _slug, role=Role.FRONT_DESK, serves_get=False),
        Page(
            "schedule_rooms",
            _slug,
            role=Role.FRONT_DESK,
            post={"new-name": "Chair 9", "new-kind": "chair", "new-position": "0"},
        ),
        Page("schedule_feed", _slug, post={"action": "reset"}),
        Page(
            "schedule_session",
            lambda r: {**_slug(r), "session_id": r.live_session_id},
            role=Role.FRONT_DESK,
        ),
        Page(
            "schedule_act",
            lambda r: {**_slug(r), "session_id": r.live_session_id, "action": "place"},
            role=Role.FRONT_DESK,
            serves_get=False,
        ),
        # Referrals and letters to the referrer (ketacare.referrals).
        Page("referral_list", _slug),
        Page("letter_templates", _slug, role=Role.CLINIC_ADMIN),
        Page("referral_new", _patient, role=Role.FRONT_DESK, post=REFERRAL_FORM),
        # The patient's own view (ketacare.portal): sending its link.
        Page("portal_link_send", _patient, post={"channel": "none"}, serves_get=False),
        Page("referral_detail", _referral),
        Page("referral_move", _referral, post={"status": "contacted"}, serves_get=False),
        Page("referral_letter", _referral, post={"kind": "acceptance"}, serves_get=False),
        # E-consent (ketacare.consent).
        Page(
            "econsent_send",
            _patient,
            post={"treatment_form": "im", "channel": "none"},
            serves_get=False,
        ),
        Page(
            "econsent_countersign",
            lambda r: {**_patient(r), "econsent_id": r.econsent_id},
            post={"confirm": "yes"},
            serves_get=False,
        ),
        Page("econsent_pdf", lambda r: {**_patient(r), "econsent_id": r.econsent_id}),
        Page(
            "consent_documents",
            _slug,
            post={
                "valid_months": "12",
                "new_version_supersedes": "on",
                "countersign_required": "on",
            },
        ),
        Page(
            "consent_document_edit",
            lambda r: {**_slug(r), "document_id": r.consent_document_id},
            post={
                "title": CONSENT_VERSION_BODY["title"],
                "body": CONSENT_VERSION_BODY["body"],
                "sources": "\n".join(CONSENT_VERSION_BODY["sources"]),
                "questions": json.dumps(CONSENT_VERSION_BODY["questions"]),
                "change_note": "Shorter",
            },
        ),
        # Clinical and therapy notes (ketacare.notes): a draft by the world's prescriber and a
        # signed psychotherapy note (tests.api.world.add_notes).
        Page("note_new", _patient, post={"note_type": "progress"}, serves_get=False),
        Page("note_search", _patient, query="?q=sleeping"),
        Page("note_detail", _note),
        Page("note_save", _note, post={"section-plan": "Continue"}, serves_get=False),
        Page("note_sign", _note, serves_get=False),
        Page(
            "note_addendum",
            lambda r: {**_patient(r), "note_id": r.signed_note_id},
            post={"text": "Late entry", "reason": "Forgot"},
            serves_get=False,
        ),
        Page(
            "note_templates",
            _slug,
            role=Role.CLINIC_ADMIN,
            post={"note_type": "nurse", "sections": "Observations\nHandover | Next shift"},
        ),
        # Patient education (ketacare.education).
        Page(
            "education_send",
            _patient,
            post={"articles": "iv-ketamine", "channel": "none"},
            serves_get=False,
        ),
        Page("education_articles", _slug, post={"max_grade": "8", "refuse_above": "on"}),
        Page(
            "education_article_edit",
            lambda r: {**_slug(r), "article_id": r.article_id},
            post={
                "title": EDUCATION_VERSION_BODY["title"],
                "body": EDUCATION_VERSION_BODY["body"],
                "sources": "\n".join(EDUCATION_VERSION_BODY["sources"]),
                "change_note": "Shorter",
            },
        ),
    ]
    for section, _label in CHART_TABS:
        pages.append(
            Page(
                "patient_chart_section",
                _section(section),
                label=f"patient_chart_section/{section}",
            )
        )
    for section in CHART_ENTRY_PATHS:
        pages.append(
            Page(
                "entry_add",
                _section(section),
                post=ENTRY_FORMS[section],
                serves_get=False,
                label=f"entry_add/{section}",
            )
        )
        pages.append(
            Page(
                "entry_retract",
                _entry(section),
                post=REASON,
                serves_get=False,
                label=f"entry_retract/{section}",
            )
        )
    return pages


PAGES = _pages()
RECORD_PAGES = [
    p
    for p in PAGES
    if p.name
    not in {
        "clinic_home",
        "patient_list",
        "patient_new",
        "audit_list",
        "token_list",
        "failed_deliveries",
        "dashboard",
        "eligibility_settings",
        "simulator",
        "clinic_protocols",
        "dosing_settings",
        "clinic_calendar",
        "worklist",
        "outcomes_dashboard",
        "outcome_settings",
        "rems_form_list",
        "session_settings",
        "guide_settings",
        "export_list",
        "referral_import",
        "research_export",
        "ledger_home",
        "ledger_report",
        "ledger_manage",
        "ledger_count",
        "ledger_settings",
        "schedule_board",
        "schedule_book",
        "schedule_rooms",
        "schedule_feed",
        "consent_documents",
        "note_templates",
        "education_articles",
        "referral_list",
        "letter_templates",
    }
]


def _route_params(pattern: URLPattern) -> set[str]:
    return set(re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern)))


def test_every_clinic_page_is_known(world: World) -> None:
    """A new page under a clinic or a patient fails here until it is added to PAGES."""
    scoped = {
        p.name: _route_params(p)
        for p in web_urls.urlpatterns
        if isinstance(p, URLPattern) and _route_params(p) & {"clinic_slug", "patient_id"}
    }
    assert set(scoped) == {page.name for page in PAGES}
    for page in PAGES:
        # The page's ids are exactly the pattern's parameters.
        assert set(page.kwargs(world.a)) == scoped[page.name], page.id
    assert {p.name for p in RECORD_PAGES} == {
        name for name, params in scoped.items() if params - {"clinic_slug"}
    }


def prepare(world: World, page: Page) -> None:
    if page.session_kind:
        add_state_session(world, page.session_kind)
    if page.merges:
        add_merge_records(world)


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_page_works_for_its_own_clinic(world: World, page: Page) -> None:
    """The control: the page's own staff get it, so the 404s below are the scoping."""
    prepare(world, page)
    if page.role == Role.PRESCRIBER:
        user = world.dual_a.user
    else:
        user = member(world.a.clinic, page.role).user
    client = _signed_in(user)
    got = client.get(page.url(world.a))
    if page.serves_get:
        assert got.status_code in (200, 302), got.status_code
    else:
        assert got.status_code in (404, 405)
    posted = client.post(page.url(world.a), page.post)
    assert posted.status_code in (200, 302), (posted.status_code, posted.content[:2000])
    if posted.status_code == 200 and page.post:
        assert b"errorlist" not in posted.content, posted.content


def _assert_404_and_nothing_written(world: World, client: Client, page: Page, url: str) -> None:
    before, counts = clinic_state(world.a.clinic), record_counts()
    got = client.get(url)
    expected_get = (404,) if page.serves_get else (404, 405)
    assert got.status_code in expected_get, (url, got.status_code)
    for data in (page.post, {}):
        posted = client.post(url, data)
        assert posted.status_code == 404, (url, data, posted.status_code)
    assert clinic_state(world.a.clinic) == before
    assert record_counts() == counts
    assert world.a.patient.legal_given_name not in without_csrf_tokens(got.content.decode())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_clinic_b_member_gets_404_for_clinic_a_pages(world: World, page: Page) -> None:
    prepare(world, page)
    client = _signed_in(world.b_member.user)
    _assert_404_and_nothing_written(world, client, page, page.url(world.a))


@pytest.mark.parametrize("who", ["b-member", "dual-member"])
@pytest.mark.parametrize("page", RECORD_PAGES, ids=lambda p: p.id)
def test_own_clinic_slug_with_clinic_a_ids_is_404(world: World, page: Page, who: str) -> None:
    """Staff of clinic B, in clinic B's pages, naming clinic A's records. The dual member
    could see these records under clinic A's slug, but not from clinic B."""
    prepare(world, page)
    user = world.b_member.user if who == "b-member" else world.dual_b.user
    url = page.url(world.a, clinic_slug=world.b.clinic.slug)
    _assert_404_and_nothing_written(world, _signed_in(user), page, url)


@pytest.mark.parametrize("section", list(CHART_ENTRY_PATHS))
def test_clinic_a_entry_under_a_clinic_b_patient_is_404(world: World, section: str) -> None:
    page = next(p for p in PAGES if p.id == f"entry_retract/{section}")
    url = page.url(world.b, entry_id=world.a.entries[section])
    _assert_404_and_nothing_written(world, _signed_in(world.dual_b.user), page, url)


def test_switching_to_a_clinic_one_is_not_in_is_404(world: World) -> None:
    client = _signed_in(world.b_member.user)
    assert client.post(reverse("clinic_switch"), {"clinic": "clinic-a"}).status_code == 404
    home = client.get("/")
    assert home["Location"] == reverse("clinic_home", kwargs={"clinic_slug": "clinic-b"})
