"""Every operation of the API, and what it takes to call it.

RECORD_OPERATIONS are the operations aimed at one record (a patient, a chart entry,
a token, a treatment session, a self-report link or a safety alert) through their
path: each comes with a valid request body, so a 404 for another clinic's ids can only
come from clinic scoping. UNSCOPED_OPERATIONS name no record (a path may still name an
instrument, which is not clinic data); each maps to the test that shows it deals only
in the caller's clinic. test_every_api_operation_is_known fails when an endpoint is
added that is in neither.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ketacare.api.urls import api
from tests.api.world import ClinicRecords

API = "/api/v1"
Op = tuple[str, str]  # (HTTP method, path as in the OpenAPI schema)

# Path parameters that name a record of some clinic, and those that name none.
RECORD_ID_PARAMS = frozenset(
    {
        "patient_id",
        "entry_id",
        "token_id",
        "session_id",
        "link_id",
        "alert_id",
        "order_id",
        "plan_id",
        "session_alert_id",
        "session_entry_id",
        "reading_id",  # a monitor's reading id: unique per session, so naming the session
        "document_id",  # a consent document (ketacare.consent)
        "version_id",  # one of its versions
        "econsent_id",  # a patient's e-consent
        "note_id",  # a clinical or therapy note (ketacare.notes)
        "article_id",  # an education article (ketacare.education)
        "referral_id",  # a referral (ketacare.referrals)
        "kept_id",  # the patient a record is merged into
        "merge_id",  # a merge of two patient records
    }
)
# An instrument code, a kind of letter, a kind of note: the same in every clinic.
NON_RECORD_PARAMS = frozenset({"code", "kind", "note_type"})

REASON = {"reason": "Entered on the wrong chart"}

# A valid body to add an entry, and to correct one (None: entries of this kind are
# never edited, only marked entered in error).
SECTION_BODIES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "weights": ({"measured_on": "2024-03-01", "weight_kg": "72.5", "height_cm": "170.0"}, None),
    "allergies": (
        {"substance": "Latex", "reaction": "Hives", "severity": "mild"},
        {"severity": "severe"},
    ),
    "medications": (
        {
            "name": "Lamotrigine",
            "dose": "50 mg",
            "frequency": "twice daily",
            "start_date": "2024-01-10",
        },
        {"dose": "100 mg"},
    ),
    "diagnoses": (
        {"icd10_code": "F41.1", "description": "Generalised anxiety disorder"},
        {"status": "resolved"},
    ),
    "consents": (
        {
            "kind": "research",
            "decision": "granted",
            "document_version": "v2",
            "decided_on": "2024-02-01",
        },
        None,
    ),
}


def _record_operations() -> dict[Op, dict[str, Any] | None]:
    patient = f"{API}/patients/{{patient_id}}"
    ops: dict[Op, dict[str, Any] | None] = {
        ("GET", patient): None,
        ("PATCH", patient): {"phone": "+44 20 7946 0999"},
        ("POST", f"{patient}/archive"): {"reason": "Moved to another service"},
        ("POST", f"{API}/tokens/{{token_id}}/revoke"): None,
    }
    for section, (add, correct) in SECTION_BODIES.items():
        entries = f"{patient}/{section}"
        ops[("GET", entries)] = None
        ops[("POST", entries)] = add
        if correct is not None:
            ops[("PATCH", f"{entries}/{{entry_id}}")] = correct
        ops[("POST", f"{entries}/{{entry_id}}/entered-in-error")] = REASON
    ops.update(MEASURE_OPERATIONS)
    ops.update(ELIGIBILITY_OPERATIONS)
    ops.update(DOSING_OPERATIONS)
    ops.update(SCHEDULE_OPERATIONS)
    ops.update(CONSENT_OPERATIONS)
    ops.update(NOTE_OPERATIONS)
    ops.update(EDUCATION_OPERATIONS)
    ops.update(REFERRAL_OPERATIONS)
    ops.update(MERGE_OPERATIONS)
    return ops


# Merging the patient into another record of the clinic, and undoing another merge
# (the records are built by world.add_merge_records).
MERGE_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("GET", f"{API}/patients/{{patient_id}}/merge/{{kept_id}}"): None,
    ("POST", f"{API}/patients/{{patient_id}}/merge/{{kept_id}}"): {"reason": "Registered twice"},
    ("POST", f"{API}/patient-merges/{{merge_id}}/undo"): {"reason": "Two people after all"},
}


# PHQ-9, every item 1 but item 9 (no safety alert), difficulty question answered.
PHQ9_BODY = {"answers": [1, 1, 1, 1, 1, 1, 1, 1, 0, 1]}
_patient = f"{API}/patients/{{patient_id}}"
_session = f"{_patient}/sessions/{{session_id}}"
MEASURE_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("GET", f"{_patient}/responses"): None,
    ("POST", f"{_patient}/responses"): {
        "instrument": "phq9",
        **PHQ9_BODY,
        "context": "between_sessions",
        "answered_at": "2024-03-02T10:00:00Z",
    },
    ("POST", f"{_patient}/links"): {
        "instruments": ["phq9", "gad7"],
        "context": "between_sessions",
        "channel": "sms",
    },
    ("POST", f"{API}/links/{{link_id}}/revoke"): None,
    ("POST", f"{API}/alerts/{{alert_id}}/acknowledge"): {
        "action_taken": "contacted_patient",
        "note": "Called the patient; safe, safety plan reviewed.",
    },
    ("GET", f"{_patient}/measurement-plan"): None,
    ("PUT", f"{_patient}/measurement-plan"): {
        "starts_on": "2024-03-01",
        "rules": [
            {"kind": "every_n_days", "instruments": ["phq9"], "interval_days": 14},
            {"kind": "after_session", "instruments": ["phq9"], "hours_after": 24},
        ],
    },
    ("GET", f"{_patient}/sessions"): None,
    ("POST", f"{_patient}/sessions"): {"scheduled_start": "2024-03-11T10:00:00Z"},
    ("POST", f"{_session}/cancel"): {"reason": "Patient unwell"},
    ("GET", f"{_patient}/outcomes"): None,
    ("POST", f"{_patient}/outcomes/recommendation/accept"): {
        "scheduled_start": "2024-09-02T10:00:00Z"
    },
    ("POST", f"{_patient}/outcomes/recommendation/dismiss"): {"reason": "Patient travelling"},
    ("GET", f"{_patient}/clinical-events"): None,
    ("POST", f"{_patient}/clinical-events"): {
        "kind": "suicide_attempt",
        "occurred_at": "2024-02-20T10:00:00Z",
    },
    ("POST", f"{_patient}/clinical-events/{{entry_id}}/entered-in-error"): REASON,
}

# Treatment history, staging and screening (docs/eligibility.md). The world's clinic-A
# patient has one episode, one trial, one other treatment and one screening, whose
# caution "not_treatment_resistant" is open.
HISTORY_BODIES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "episodes": (
        {
            "start_date": "2024-01-10",
            "severity": "moderate",
            "psychotic_features": False,
            "indication": "major_depression",
        },
        {"severity": "severe"},
    ),
    "trials": (
        {
            "drug": "Venlafaxine",
            "drug_class": "snri",
            "max_daily_dose_mg": "225",
            "weeks_at_dose": "6",
            "adherence": "good",
            "outcome": "no_response",
            "in_current_episode": True,
        },
        {"weeks_at_dose": "10"},
    ),
    "treatments": (
        {
            "kind": "ect",
            "description": "Bilateral ECT, 12 sessions",
            "outcome": "no_response",
            "bilateral": True,
        },
        {"outcome": "partial_response"},
    ),
}
ELIGIBILITY_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("GET", f"{_patient}/history"): None,
    ("GET", f"{_patient}/staging"): None,
    ("GET", f"{_patient}/screenings"): None,
    ("POST", f"{_patient}/screenings"): {
        "protocol_code": "iv_ketamine",
        "checklist": {
            "answers": {"hypersensitivity": "no"},
            "bp_systolic": 120,
            "bp_diastolic": 80,
        },
    },
    ("POST", f"{_patient}/screenings/{{entry_id}}/accept"): {
        "code": "not_treatment_resistant",
        "justification": "Second trial under way; referral letter documents earlier failure.",
    },
}
for _section, (_add, _correct) in HISTORY_BODIES.items():
    ELIGIBILITY_OPERATIONS[("POST", f"{_patient}/{_section}")] = _add
    ELIGIBILITY_OPERATIONS[("PATCH", f"{_patient}/{_section}/{{entry_id}}")] = _correct
    ELIGIBILITY_OPERATIONS[("POST", f"{_patient}/{_section}/{{entry_id}}/entered-in-error")] = (
        REASON
    )


# Esketamine is a fixed dose: these bodies need no recent weight on the chart.
ESKETAMINE_DOSE = {"protocol_code": "esketamine_trd", "dose": "56"}
_plan = f"{_patient}/plans/{{plan_id}}"
DOSING_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("POST", f"{_patient}/dose-orders/preview"): ESKETAMINE_DOSE,
    ("GET", f"{_patient}/dose-orders"): None,
    ("POST", f"{_patient}/dose-orders"): ESKETAMINE_DOSE,
    ("POST", f"{_patient}/dose-orders/{{order_id}}/double-check"): {"note": "Checked"},
    ("GET", f"{_patient}/plans"): None,
    ("POST", f"{_patient}/plans"): {
        "indication": "major_depression",
        "protocol_code": "esketamine_trd",
        "schedule": "label_then_weekly",
        "start_date": "2025-03-03",
        "start_dose": "56",
    },
    ("GET", _plan): None,
    ("PATCH", _plan): {"start_dose": "56", "reason": "Tolerability"},
    ("POST", f"{_session}/reschedule"): {"scheduled_start": "2024-03-05T10:00:00Z"},
}

# The front desk's actions from the schedule board (ketacare.schedule), on the scheduled
# session.
_board_session = f"{API}/schedule/sessions/{{session_id}}"
SCHEDULE_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("POST", f"{_board_session}/check-in"): None,
    ("POST", f"{_board_session}/move"): {"scheduled_start": "2024-03-05T10:00:00Z"},
    ("POST", f"{_board_session}/no-show"): {},
    ("POST", f"{_board_session}/cancel"): {"reason": "Patient unwell"},
    ("POST", f"{_board_session}/place"): {},
}

# Session charting: on the scheduled session, or on the live one (an IV session dosing,
# with an open alert: LIVE_SESSION_OPERATIONS).
SESSION_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("POST", f"{_session}/transition"): {"event": "check_in"},
    ("PUT", f"{_session}/order"): {"protocol_code": "iv_ketamine", "ordered_dose_mg": "35"},
    ("POST", f"{_session}/supervisor"): {},
    ("POST", f"{_session}/attest-on-site"): None,
    ("POST", f"{_patient}/rems-enrollment"): {"enrolled_on": "2024-02-01"},
}
LIVE_SESSION_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("GET", _session): None,
    ("POST", f"{_session}/vitals"): {
        "readings": [
            {
                "reading_id": "m-1",
                "taken_at": "2024-03-04T10:10:00Z",
                "systolic": 130,
                "diastolic": 80,
            },
            {"reading_id": "m-2", "taken_at": "2024-03-04T10:20:00Z", "spo2": 97, "heart_rate": 80},
        ]
    },
    ("POST", f"{_session}/alerts/{{session_alert_id}}/acknowledge"): {
        "action": "pause_infusion",
        "note": "Paused; prescriber called",
    },
    ("POST", f"{_session}/infusion"): {"kind": "pause", "reason": "BP 185/112"},
    ("POST", f"{_session}/side-effects"): {"effect": "nausea", "severity": "mild"},
    ("POST", f"{_session}/adverse-events"): {
        "description": "Vasovagal episode",
        "action_taken": "Legs raised",
        "outcome": "resolved",
    },
    ("POST", f"{_session}/stop"): {"dose_given_mg": "35"},
    ("GET", f"{_session}/guides"): None,
    ("POST", f"{_session}/guides"): {"kind": "preparation", "channel": "none"},
    ("POST", f"{_session}/vitals/{{reading_id}}/entered-in-error"): REASON,
    ("POST", f"{_session}/side-effects/{{session_entry_id}}/entered-in-error"): REASON,
    ("POST", f"{_session}/adverse-events/{{session_entry_id}}/entered-in-error"): REASON,
}
# Actions that need a session in another state: the world's ClinicRecords.sessions[kind].
STATE_SESSION_OPERATIONS: dict[str, dict[Op, dict[str, Any] | None]] = {
    "pre_dose": {
        ("PUT", f"{_session}/assessment"): {
            "version": 2,
            "medicines_today": "Sertraline 100 mg at 08:00",
            "fasting_confirmed": True,
            "no_decongestant_confirmed": True,
        },
        ("POST", f"{_session}/bp-decision"): {"decision": "proceed", "reason": "Baseline fine"},
        ("POST", f"{_session}/start"): {
            "dose_mg": "56",
            "formulation": "Spravato 28 mg nasal spray device",
            "lot_number": "LOT-ESK-1",
            "expiry": "2030-01-01",
            "container_ref": "PACK-1",
        },
    },
    "esketamine_dosing": {("POST", f"{_session}/devices"): None},
    "ordered": {("POST", f"{_session}/order/double-check"): None},
    # Everything on record but charted on paper: recorded as given, a late entry.
    "paper": {
        ("POST", f"{_session}/given"): {
            "dosing_started_at": "2024-03-04T10:05:00Z",
            "reason": "Entered from the paper chart",
        }
    },
    "ready": {
        ("PUT", f"{_session}/discharge-checklist"): {
            "version": 10,  # the ready session's (tests.sessions.build.iv_ready)
            "items": {
                "vitals_within_thresholds": True,
                "alert_and_oriented": True,
                "walking_steadily": True,
                "sedation_resolved": True,
                "responsible_adult_escort": True,
                "no_driving_acknowledged": True,
            },
        },
        ("POST", f"{_session}/discharge"): None,
        ("POST", f"{_session}/release"): {"reason": "Readings on the monitor printout"},
    },
    "discharged": {("POST", f"{_session}/sign"): None},
    "signed": {
        ("GET", f"{_session}/addenda"): None,
        ("POST", f"{_session}/addenda"): {"text": "Late entry: BP 130/80", "reason": "Late"},
    },
    "rems": {
        ("GET", f"{_session}/rems-form"): None,
        ("GET", f"{_session}/rems-form.csv"): None,
        ("POST", f"{_session}/rems-form/submit"): {
            "submitted_on": "2024-03-05",
            "confirmation_number": "REMS-1",
        },
    },
}
SESSION_KIND: dict[Op, str] = {
    op: kind for kind, ops in STATE_SESSION_OPERATIONS.items() for op in ops
}
MEASURE_OPERATIONS |= SESSION_OPERATIONS | LIVE_SESSION_OPERATIONS
for _ops in STATE_SESSION_OPERATIONS.values():
    MEASURE_OPERATIONS |= _ops


_econsent = f"{_patient}/econsents/{{econsent_id}}"
CONSENT_VERSION_BODY: dict[str, Any] = {
    "title": "Consent to ketamine injections (IM)",
    "body": "## What this treatment is\n\nAn injection into a muscle.",
    "sources": ["Ketalar label"],
    "questions": [
        {
            "text": "Can you take back your consent after you sign?",
            "options": ["Yes, at any time", "No"],
            "correct": 0,
            "explanation": "You can take it back at any time.",
        }
    ],
    "change_note": "Shorter",
}
CONSENT_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("GET", f"{API}/consent/documents/{{document_id}}/versions"): None,
    ("POST", f"{API}/consent/documents/{{document_id}}/versions"): CONSENT_VERSION_BODY,
    ("GET", f"{API}/consent/versions/{{version_id}}"): None,
    ("GET", f"{_patient}/econsents"): None,
    ("POST", f"{_patient}/econsents"): {"treatment_form": "im", "channel": "none"},
    ("GET", f"{_patient}/consent-status"): None,
    ("POST", f"{_econsent}/countersign"): None,
    ("GET", f"{_econsent}/pdf"): None,
    ("POST", f"{_patient}/own-view-link"): {"channel": "none"},  # ketacare.portal
}

_note = f"{_patient}/notes/{{note_id}}"
NOTE_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("GET", f"{_patient}/notes"): None,
    ("POST", f"{_patient}/notes"): {"note_type": "progress", "title": "Review"},
    ("GET", _note): None,
    ("PATCH", _note): {"sections": {"plan": "Continue"}},
    ("POST", f"{_note}/sign"): None,
    ("POST", f"{_note}/addenda"): {"text": "Late entry", "reason": "Forgot"},  # the signed one
}
# Aimed at the world's signed note, kept as psychotherapy notes: 404 in its own clinic too
# for a role that may not read psychotherapy notes (ketacare.notes.core.may_read).
PSYCHOTHERAPY_NOTE_OPERATIONS = frozenset({("POST", f"{_note}/addenda")})
EDUCATION_VERSION_BODY: dict[str, Any] = {
    "title": "Ketamine by drip (IV)",
    "body": "## What it is\n\nA medicine that can ease low mood. It drips into a vein.",
    "sources": ["The clinic's patient information on ketamine therapy"],
    "change_note": "Shorter",
}
EDUCATION_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("GET", f"{API}/education/articles/{{article_id}}"): None,
    ("POST", f"{API}/education/articles/{{article_id}}/versions"): EDUCATION_VERSION_BODY,
    # Articles named by slug: the same in every clinic, so the body is the same for both.
    ("POST", f"{_patient}/education"): {"articles": ["iv-ketamine"], "channel": "none"},
}

_referral = f"{API}/referrals/{{referral_id}}"
REFERRAL_OPERATIONS: dict[Op, dict[str, Any] | None] = {
    ("GET", _referral): None,
    ("POST", f"{_referral}/status"): {"status": "contacted"},
    ("POST", f"{_referral}/letters"): {"kind": "acceptance"},
}
# Sent only once the referral is accepted (world.accept_referrals).
ACCEPTED_REFERRAL_OPERATIONS = {("POST", f"{_referral}/letters")}

RECORD_OPERATIONS = _record_operations()

# Each names the test in tests/api/test_tenant_isolation.py that shows the operation
# only ever returns (or writes) the caller's clinic's data.
UNSCOPED_OPERATIONS: dict[Op, str] = {
    ("GET", f"{API}/me"): "test_me_reports_the_clinic_of_the_credential",
    ("GET", f"{API}/tokens"): "test_token_list_shows_only_tokens_of_the_clinic",
    ("POST", f"{API}/tokens"): "test_token_create_makes_a_token_for_the_callers_clinic",
    ("GET", f"{API}/patients"): "test_patient_search_finds_only_the_callers_clinic",
    ("POST", f"{API}/patients"): "test_patient_create_registers_in_the_callers_clinic",
    ("GET", f"{API}/audit/events"): "test_audit_events_show_only_the_callers_clinic",
    ("GET", f"{API}/measures/instruments"): "test_instrument_list_is_the_same_for_every_member",
    ("POST", f"{API}/measures/{{code}}/score"): "test_scoring_works_for_any_member_stores_nothing",
    ("GET", f"{API}/alerts"): "test_alert_list_shows_only_the_callers_clinic",
    ("GET", f"{API}/protocols"): "test_protocols_and_settings_are_the_callers_clinics",
    ("GET", f"{API}/protocols/{{code}}"): "test_protocols_and_settings_are_the_callers_clinics",
    (
        "POST",
        f"{API}/protocols/{{code}}/versions",
    ): "test_protocol_copy_is_made_in_the_callers_clinic",
    ("GET", f"{API}/dosing/settings"): "test_protocols_and_settings_are_the_callers_clinics",
    ("PUT", f"{API}/dosing/settings"): "test_protocol_copy_is_made_in_the_callers_clinic",
    ("POST", f"{API}/dosing/calculate"): "test_dose_calculation_reads_and_writes_nothing",
    ("GET", f"{API}/clinic/calendar"): "test_protocols_and_settings_are_the_callers_clinics",
    ("PUT", f"{API}/clinic/calendar"): "test_protocol_copy_is_made_in_the_callers_clinic",
    ("GET", f"{API}/worklist"): "test_worklist_shows_only_the_callers_clinic",
    ("GET", f"{API}/outcomes/dashboard"): "test_outcome_dashboard_counts_only_the_callers_clinic",
    ("GET", f"{API}/outcomes/settings"): "test_outcome_settings_are_the_callers_clinics",
    ("PUT", f"{API}/outcomes/settings"): "test_outcome_settings_are_the_callers_clinics",
    ("GET", f"{API}/rems-forms"): "test_rems_form_list_shows_only_the_callers_clinic",
    ("GET", f"{API}/consent/documents"): "test_consent_documents_are_the_callers_clinics",
    ("GET", f"{API}/education/articles"): "test_education_articles_are_the_callers_clinics",
    ("GET", f"{API}/rems-forms.csv"): "test_rems_form_list_shows_only_the_callers_clinic",
    (
        "POST",
        f"{API}/referrals/import",
    ): "test_referral_import_matches_and_writes_in_the_callers_clinic",
    ("GET", f"{API}/referrals"): "test_referrals_list_and_record_in_the_callers_clinic",
    ("POST", f"{API}/referrals"): "test_referrals_list_and_record_in_the_callers_clinic",
    (
        "GET",
        f"{API}/referrals/letter-templates/{{kind}}",
    ): "test_letter_templates_are_the_callers_clinics",
    (
        "PUT",
        f"{API}/referrals/letter-templates/{{kind}}",
    ): "test_letter_templates_are_the_callers_clinics",
    ("GET", f"{API}/schedule/board"): "test_schedule_board_and_booking_keep_to_the_callers_clinic",
    ("GET", f"{API}/schedule/rooms"): "test_schedule_board_and_booking_keep_to_the_callers_clinic",
    (
        "POST",
        f"{API}/schedule/sessions",
    ): "test_schedule_board_and_booking_keep_to_the_callers_clinic",
    ("GET", f"{API}/notes/templates"): "test_note_templates_are_the_callers_clinics",
    ("PUT", f"{API}/notes/templates/{{note_type}}"): "test_note_templates_are_the_callers_clinics",
}

# The controlled-substance ledger (issue 15) proves its own tenancy, operation by
# operation, in tests/ledger/test_api.py (test_every_ledger_operation_keeps_to_its_clinic):
# its records (lots, locations, entries, investigations) are not in this two-clinic world.
LEDGER_PREFIX = f"{API}/ledger/"


def is_ledger(op: Op) -> bool:
    return op[1].startswith(LEDGER_PREFIX)


PATIENT_BODY = {
    "mrn": "N-3001",
    "legal_given_name": "Nadia",
    "legal_family_name": "Novak",
    "date_of_birth": "1990-09-09",
    "sex_at_birth": "female",
}


def schema_operations() -> dict[Op, dict[str, Any]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def path_params(path: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", path))


def section_of(path: str) -> str | None:
    match = re.search(r"/patients/{patient_id}/([a-z-]+)", path)
    return match.group(1) if match and match.group(1) != "archive" else None


def expected_success(op: Op) -> int:
    """201 for adding a chart entry, 200 for everything else aimed at a record."""
    method, path = op
    section = section_of(path)
    created = method == "POST" and path.endswith(
        (
            "/consent/documents/{document_id}/versions",
            "/referrals/{referral_id}/letters",
            "/notes/{note_id}/addenda",
            "/own-view-link",
            "/sessions/{session_id}/guides",
            "/education/articles/{article_id}/versions",
        )
    )
    return (
        201 if created or (method == "POST" and section and path.endswith(f"/{section}")) else 200
    )


def url_for(op: Op, records: ClinicRecords, **ids: object) -> str:
    """The op's URL aimed at records' ids (or the ids given, by path parameter name)."""
    _method, path = op
    section = section_of(path)
    values = {
        "patient_id": records.patient.pk,
        "entry_id": records.entries.get(section) if section else None,
        "token_id": records.token_id,
        "session_id": _session_of(op, records),
        "session_alert_id": records.session_alert_id,
        "session_entry_id": records.session_entry_ids.get(section_after_session(path), None),
        "reading_id": "world-1",
        "link_id": records.link_id,
        "alert_id": records.alert_id,
        "order_id": records.order_id,
        "plan_id": records.plan_id,
        "code": "phq9",
        "document_id": records.consent_document_id,
        "version_id": records.consent_version_id,
        "econsent_id": records.econsent_id,
        "note_id": records.signed_note_id if path.endswith("/addenda") else records.note_id,
        "note_type": "therapy",
        "article_id": records.article_id,
        "referral_id": records.referral_id,
        "kind": "acceptance",
        "kept_id": records.merge_ids.get("kept", NOT_BUILT),
        "merge_id": records.merge_ids.get("merge", NOT_BUILT),
        # The ledger's own records are not in this world (see LEDGER_PREFIX): ids no
        # record has, which its operations refuse (422 without a body, else 404).
        "ledger_entry_id": 0,
        "investigation_id": NOT_BUILT,
        **{name: value for name, value in ids.items() if value is not None},
    }
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)


NOT_BUILT = uuid.UUID(int=0)


def _session_of(op: Op, records: ClinicRecords) -> object:
    if op in SESSION_KIND:
        # Built only by the tests that need the real session (world.add_state_session);
        # elsewhere (401, 403 and 422 checks) an id no session has.
        return records.sessions.get(SESSION_KIND[op], NOT_BUILT)
    return records.live_session_id if op in LIVE_SESSION_OPERATIONS else records.session_id


def section_after_session(path: str) -> str:
    match = re.search(r"/sessions/{session_id}/([a-z-]+)/", path)
    return match.group(1) if match else ""


def op_id(op: Op) -> str:
    return f"{op[0]} {op[1].removeprefix(API)}"


PATIENT_OPERATIONS = sorted(op for op in RECORD_OPERATIONS if "{patient_id}" in op[1])
