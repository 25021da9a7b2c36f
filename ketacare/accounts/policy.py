"""Who may do what: the whole permission policy in one table.

Pure Python, no Django. docs/permissions.md renders the same matrix, and a test
checks that the two agree. Clinic scoping (records of other clinics answer 404)
is enforced separately by the access helpers in ketacare.accounts.access.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from enum import StrEnum


class Role(StrEnum):
    CLINIC_ADMIN = "clinic_admin"
    PRESCRIBER = "prescriber"
    NURSE = "nurse"
    THERAPIST = "therapist"
    FRONT_DESK = "front_desk"
    COMPLIANCE = "compliance"
    RESEARCHER = "researcher"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CLINIC_ADMIN: "Clinic administrator",
    Role.PRESCRIBER: "Prescriber",
    Role.NURSE: "Nurse",
    Role.THERAPIST: "Therapist",
    Role.FRONT_DESK: "Front desk",
    Role.COMPLIANCE: "Compliance officer",
    Role.RESEARCHER: "Researcher",
}


class Permission(StrEnum):
    VIEW_REGISTRY = "view_registry"  # find patients; identity and contact details
    VIEW_CHART = "view_chart"  # clinical chart: weights, allergies, medications, diagnoses
    REGISTER_PATIENT = "register_patient"  # create patients, edit identity and contact
    EDIT_CLINICAL = "edit_clinical"  # weights, allergies, medications, diagnoses
    RECORD_CONSENT = "record_consent"
    ARCHIVE_PATIENT = "archive_patient"
    MERGE_PATIENTS = "merge_patients"  # merge a duplicate record into another, and undo it
    VIEW_AUDIT = "view_audit"
    MANAGE_STAFF = "manage_staff"
    VIEW_DEIDENTIFIED = "view_deidentified"  # aggregate, de-identified research data
    SCHEDULE_SESSIONS = "schedule_sessions"  # book, check in, cancel treatment sessions
    RECORD_MEASURES = "record_measures"  # enter rating scales in the chart
    SEND_MEASURE_LINKS = "send_measure_links"  # send and revoke patient self-report links
    ACKNOWLEDGE_ALERTS = "acknowledge_alerts"  # act on safety alerts
    MANAGE_MEASUREMENT_PLANS = "manage_measurement_plans"  # patient and clinic default plans
    EDIT_TREATMENT_HISTORY = "edit_treatment_history"  # episode, antidepressant trials, ECT/TMS
    RUN_SCREENING = "run_screening"  # run eligibility screening for a protocol
    ACCEPT_CAUTIONS = "accept_cautions"  # accept a screening caution with a justification
    ORDER_DOSES = "order_doses"  # dose orders and treatment plans (a prescriber's act)
    DOUBLE_CHECK_DOSES = "double_check_doses"  # independent second check of a dose order
    GIVE_DOSES = "give_doses"  # record a dose as given (never front desk)
    MANAGE_PROTOCOLS = "manage_protocols"  # copy and adjust the clinic's protocols
    MANAGE_CLINIC_CALENDAR = "manage_clinic_calendar"  # opening days, closures, chairs
    USE_SIMULATOR = "use_simulator"  # the pharmacology simulator (model predictions)
    # Controlled-substance ledger (issue 15).
    LEDGER_WITHDRAW = "ledger_withdraw"  # draw stock for a session, record administration, waste
    LEDGER_WITNESS = "ledger_witness"  # a licensed second person: witness waste and counts
    LEDGER_MANAGE = "ledger_manage"  # receive, transfer, return, destroy, count, adjust, reverse
    LEDGER_VIEW = "ledger_view"  # read every ledger record and report
    # Clinical and therapy notes (issue 19).
    WRITE_NOTES = "write_notes"  # draft, sign and add addenda to notes (kinds: notes/core.py)
    READ_PSYCHOTHERAPY_NOTES = "read_psychotherapy_notes"  # notes flagged HIPAA §164.501
    MANAGE_NOTE_TEMPLATES = "manage_note_templates"  # the clinic's note templates


P = Permission
CARE_TEAM_MEASURES = {P.RECORD_MEASURES, P.SEND_MEASURE_LINKS, P.ACKNOWLEDGE_ALERTS}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLINIC_ADMIN: frozenset(
        {
            P.VIEW_REGISTRY,
            P.VIEW_CHART,
            P.REGISTER_PATIENT,
            P.RECORD_CONSENT,
            P.ARCHIVE_PATIENT,
            P.MERGE_PATIENTS,
            P.VIEW_AUDIT,
            P.MANAGE_STAFF,
            P.VIEW_DEIDENTIFIED,
            P.SCHEDULE_SESSIONS,
            P.MANAGE_MEASUREMENT_PLANS,
            P.MANAGE_PROTOCOLS,
            P.MANAGE_CLINIC_CALENDAR,
            P.LEDGER_MANAGE,
            P.LEDGER_VIEW,
            P.MANAGE_NOTE_TEMPLATES,
        }
    ),
    Role.PRESCRIBER: frozenset(
        {
            P.VIEW_REGISTRY,
            P.VIEW_CHART,
            P.REGISTER_PATIENT,
            P.EDIT_CLINICAL,
            P.RECORD_CONSENT,
            P.ARCHIVE_PATIENT,
            P.MERGE_PATIENTS,
            P.SCHEDULE_SESSIONS,
            P.MANAGE_MEASUREMENT_PLANS,
            *CARE_TEAM_MEASURES,
            P.EDIT_TREATMENT_HISTORY,
            P.RUN_SCREENING,
            P.ACCEPT_CAUTIONS,
            P.ORDER_DOSES,
            P.DOUBLE_CHECK_DOSES,
            P.GIVE_DOSES,
            P.MANAGE_PROTOCOLS,
            P.USE_SIMULATOR,
            P.LEDGER_WITHDRAW,
            P.LEDGER_WITNESS,
            P.WRITE_NOTES,
            P.READ_PSYCHOTHERAPY_NOTES,
        }
    ),
    Role.NURSE: frozenset(
        {
            P.VIEW_REGISTRY,
            P.VIEW_CHART,
            P.REGISTER_PATIENT,
            P.EDIT_CLINICAL,
            P.RECORD_CONSENT,
            P.SCHEDULE_SESSIONS,
            P.MANAGE_MEASUREMENT_PLANS,
            *CARE_TEAM_MEASURES,
            P.EDIT_TREATMENT_HISTORY,
            P.RUN_SCREENING,
            P.DOUBLE_CHECK_DOSES,
            P.GIVE_DOSES,
            P.USE_SIMULATOR,
            P.LEDGER_WITHDRAW,
            P.LEDGER_WITNESS,
            P.WRITE_NOTES,
        }
    ),
    Role.THERAPIST: frozenset(
        {
            P.VIEW_REGISTRY,
            P.VIEW_CHART,
            *CARE_TEAM_MEASURES,
            P.WRITE_NOTES,
            P.READ_PSYCHOTHERAPY_NOTES,
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            P.VIEW_REGISTRY,
            P.REGISTER_PATIENT,
            P.RECORD_CONSENT,
            P.SCHEDULE_SESSIONS,
            P.SEND_MEASURE_LINKS,
            P.MANAGE_CLINIC_CALENDAR,
        }
    ),
    Role.COMPLIANCE: frozenset(
        {P.VIEW_REGISTRY, P.VIEW_CHART, P.VIEW_AUDIT, P.LEDGER_MANAGE, P.LEDGER_VIEW}
    ),
    Role.RESEARCHER: frozenset({P.VIEW_DEIDENTIFIED, P.USE_SIMULATOR}),
}


def can(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]


def permission_matrix() -> list[tuple[Permission, dict[Role, bool]]]:
    """Rows of (permission, {role: allowed}) in declaration order, for docs and the UI."""
    return [(perm, {role: can(role, perm) for role in Role}) for perm in Permission]


# --- Staff accounts and sign-in (issue 13) ----------------------------------------------

# Roles that sign in with a second factor in a clinic that requires it (Clinic.mfa_required):
# those who prescribe, administer staff or read the whole audit trail.
MFA_ROLES = frozenset({Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.COMPLIANCE})


def second_factor_required(
    *, is_superuser: bool, has_device: bool, roles_in_mfa_clinics: Iterable[Role | str]
) -> bool:
    """Must this account give a one-time code at sign-in? Always once it has enrolled a
    device; and for a deployment superuser or a role in MFA_ROLES in a clinic that
    requires it."""
    return has_device or is_superuser or any(Role(r) in MFA_ROLES for r in roles_in_mfa_clinics)


def may_change_account(
    *,
    actor_id: int,
    actor_is_superuser: bool,
    target_id: int,
    target_is_superuser: bool,
    administered: AbstractSet[int],
    target_clinics: AbstractSet[int],
) -> bool:
    """May the actor change this account (password, e-mail, active)? The user themself and
    a deployment superuser may; a clinic administrator only when every clinic the account
    belongs to (any membership, active or not) is one they administer. A clinic
    administrator never changes a superuser."""
    if actor_is_superuser or actor_id == target_id:
        return True
    if target_is_superuser or not administered:
        return False
    return target_clinics <= administered
