"""ketacare.accounts.policy: the role/permission matrix, cell by cell."""

from __future__ import annotations

import pytest

from ketacare.accounts.policy import (
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    can,
    permission_matrix,
)

# The intended matrix, written out by hand so that a change to the policy has to be made
# twice (here and in policy.py) on purpose. Columns: admin, prescriber, nurse, therapist,
# front desk, compliance, researcher.
ROLES = [
    Role.CLINIC_ADMIN,
    Role.PRESCRIBER,
    Role.NURSE,
    Role.THERAPIST,
    Role.FRONT_DESK,
    Role.COMPLIANCE,
    Role.RESEARCHER,
]
Y, N = True, False
INTENDED: dict[Permission, list[bool]] = {
    #                            adm presc nurse ther  desk  compl resch
    Permission.VIEW_REGISTRY:     [Y,  Y,    Y,    Y,    Y,    Y,    N],
    Permission.VIEW_CHART:        [Y,  Y,    Y,    Y,    N,    Y,    N],
    Permission.REGISTER_PATIENT:  [Y,  Y,    Y,    N,    Y,    N,    N],
    Permission.EDIT_CLINICAL:     [N,  Y,    Y,    N,    N,    N,    N],
    Permission.RECORD_CONSENT:    [Y,  Y,    Y,    N,    Y,    N,    N],
    Permission.ARCHIVE_PATIENT:   [Y,  Y,    N,    N,    N,    N,    N],
    Permission.MERGE_PATIENTS:    [Y,  Y,    N,    N,    N,    N,    N],
    Permission.VIEW_AUDIT:        [Y,  N,    N,    N,    N,    Y,    N],
    Permission.MANAGE_STAFF:      [Y,  N,    N,    N,    N,    N,    N],
    Permission.VIEW_DEIDENTIFIED: [Y,  N,    N,    N,    N,    N,    Y],
    Permission.SCHEDULE_SESSIONS: [Y,  Y,    Y,    N,    Y,    N,    N],
    Permission.RECORD_MEASURES:   [N,  Y,    Y,    Y,    N,    N,    N],
    Permission.SEND_MEASURE_LINKS: [N, Y,    Y,    Y,    Y,    N,    N],
    Permission.ACKNOWLEDGE_ALERTS: [N, Y,    Y,    Y,    N,    N,    N],
    Permission.MANAGE_MEASUREMENT_PLANS: [Y, Y, Y,   N,    N,    N,    N],
    Permission.EDIT_TREATMENT_HISTORY: [N, Y,   Y,    N,    N,    N,    N],
    Permission.RUN_SCREENING:     [N,  Y,    Y,    N,    N,    N,    N],
    Permission.ACCEPT_CAUTIONS:   [N,  Y,    N,    N,    N,    N,    N],
    Permission.ORDER_DOSES:       [N,  Y,    N,    N,    N,    N,    N],
    Permission.DOUBLE_CHECK_DOSES: [N, Y,    Y,    N,    N,    N,    N],
    Permission.GIVE_DOSES:        [N,  Y,    Y,    N,    N,    N,    N],
    Permission.MANAGE_PROTOCOLS:  [Y,  Y,    N,    N,    N,    N,    N],
    Permission.MANAGE_CLINIC_CALENDAR: [Y, N,   N,    N,    Y,    N,    N],
    Permission.USE_SIMULATOR:     [N,  Y,    Y,    N,    N,    N,    Y],
    Permission.LEDGER_WITHDRAW:   [N,  Y,    Y,    N,    N,    N,    N],
    Permission.LEDGER_WITNESS:    [N,  Y,    Y,    N,    N,    N,    N],
    Permission.LEDGER_MANAGE:     [Y,  N,    N,    N,    N,    Y,    N],
    Permission.LEDGER_VIEW:       [Y,  N,    N,    N,    N,    Y,    N],
    Permission.WRITE_NOTES:       [N,  Y,    Y,    Y,    N,    N,    N],
    Permission.READ_PSYCHOTHERAPY_NOTES: [N, Y, N,   Y,    N,    N,    N],
    Permission.MANAGE_NOTE_TEMPLATES: [Y, N,    N,    N,    N,    N,    N],
}  # fmt: skip
CELLS = [(role, perm, INTENDED[perm][i]) for perm in Permission for i, role in enumerate(ROLES)]
WRITE_PERMISSIONS = {
    Permission.REGISTER_PATIENT,
    Permission.EDIT_CLINICAL,
    Permission.RECORD_CONSENT,
    Permission.ARCHIVE_PATIENT,
    Permission.MANAGE_STAFF,
}


def test_the_intended_table_covers_every_role_and_permission() -> None:
    assert set(ROLES) == set(Role)
    assert set(INTENDED) == set(Permission)
    assert len(CELLS) == len(Role) * len(Permission)


@pytest.mark.parametrize(
    ("role", "permission", "allowed"), CELLS, ids=[f"{r.value}-{p.value}" for r, p, _ in CELLS]
)
def test_can_matches_the_intended_matrix(role: Role, permission: Permission, allowed: bool) -> None:
    assert can(role, permission) is allowed
    assert can(role.value, permission) is allowed  # the stored membership role is a string


def test_researcher_has_only_deidentified_access_and_the_simulator() -> None:
    # The simulator shows model predictions for a chosen weight; it holds no patient data
    # unless the user may also see the chart.
    assert ROLE_PERMISSIONS[Role.RESEARCHER] == {
        Permission.VIEW_DEIDENTIFIED,
        Permission.USE_SIMULATOR,
    }


def test_only_prescribers_order_doses_and_accept_cautions() -> None:
    for permission in (Permission.ORDER_DOSES, Permission.ACCEPT_CAUTIONS):
        assert {r for r in Role if can(r, permission)} == {Role.PRESCRIBER}


def test_compliance_can_read_and_audit_but_never_edit() -> None:
    # The ledger is the exception the issue asks for (issue 15): compliance officers
    # receive stock, count, and close investigations; the chart stays read-only.
    assert ROLE_PERMISSIONS[Role.COMPLIANCE] == {
        Permission.VIEW_REGISTRY,
        Permission.VIEW_CHART,
        Permission.VIEW_AUDIT,
        Permission.LEDGER_MANAGE,
        Permission.LEDGER_VIEW,
    }
    assert not ROLE_PERMISSIONS[Role.COMPLIANCE] & WRITE_PERMISSIONS


def test_front_desk_registers_but_cannot_see_the_clinical_chart() -> None:
    assert not can(Role.FRONT_DESK, Permission.VIEW_CHART)
    assert not can(Role.FRONT_DESK, Permission.EDIT_CLINICAL)
    assert can(Role.FRONT_DESK, Permission.REGISTER_PATIENT)


def test_therapist_is_read_only() -> None:
    # ...in the chart: they write only their notes (issue 19).
    assert not ROLE_PERMISSIONS[Role.THERAPIST] & WRITE_PERMISSIONS


def test_psychotherapy_notes_are_read_by_therapists_and_prescribers_who_write_notes() -> None:
    readers = {r for r in Role if can(r, Permission.READ_PSYCHOTHERAPY_NOTES)}
    assert readers == {Role.THERAPIST, Role.PRESCRIBER}
    assert all(can(r, Permission.WRITE_NOTES) and can(r, Permission.VIEW_CHART) for r in readers)
    writers = {r for r in Role if can(r, Permission.WRITE_NOTES)}
    assert writers == {Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    assert {r for r in Role if can(r, Permission.MANAGE_NOTE_TEMPLATES)} == {Role.CLINIC_ADMIN}


def test_only_clinicians_edit_clinical_data() -> None:
    assert {r for r in Role if can(r, Permission.EDIT_CLINICAL)} == {Role.PRESCRIBER, Role.NURSE}


def test_only_admin_and_compliance_see_the_audit_trail() -> None:
    assert {r for r in Role if can(r, Permission.VIEW_AUDIT)} == {
        Role.CLINIC_ADMIN,
        Role.COMPLIANCE,
    }


def test_anyone_who_can_edit_or_see_the_chart_can_find_the_patient() -> None:
    for role in Role:
        if can(role, Permission.VIEW_CHART) or can(role, Permission.EDIT_CLINICAL):
            assert can(role, Permission.VIEW_REGISTRY), role


def test_can_rejects_an_unknown_role() -> None:
    with pytest.raises(ValueError, match="superuser"):
        can("superuser", Permission.VIEW_REGISTRY)


def test_every_role_has_a_label() -> None:
    assert set(ROLE_LABELS) == set(Role)
    assert Role.COMPLIANCE.label == "Compliance officer"
    assert Role.FRONT_DESK.label == "Front desk"
    assert all(role.label for role in Role)


def test_permission_matrix_lists_every_cell_in_declaration_order() -> None:
    matrix = permission_matrix()
    assert [perm for perm, _ in matrix] == list(Permission)
    for perm, row in matrix:
        assert list(row) == list(Role)
        assert [row[role] for role in ROLES] == INTENDED[perm]


MEASURE_PERMISSIONS = {
    Permission.RECORD_MEASURES,
    Permission.SEND_MEASURE_LINKS,
    Permission.ACKNOWLEDGE_ALERTS,
    Permission.MANAGE_MEASUREMENT_PLANS,
}


def test_the_care_team_records_measures_and_acts_on_safety_alerts() -> None:
    care_team = {Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    assert {r for r in Role if can(r, Permission.RECORD_MEASURES)} == care_team
    assert {r for r in Role if can(r, Permission.ACKNOWLEDGE_ALERTS)} == care_team


def test_whoever_records_measures_or_acknowledges_alerts_can_see_the_chart() -> None:
    for role in Role:
        if can(role, Permission.RECORD_MEASURES) or can(role, Permission.ACKNOWLEDGE_ALERTS):
            assert can(role, Permission.VIEW_CHART), role


def test_front_desk_books_sessions_and_sends_links_but_records_no_scores() -> None:
    assert can(Role.FRONT_DESK, Permission.SCHEDULE_SESSIONS)
    assert can(Role.FRONT_DESK, Permission.SEND_MEASURE_LINKS)
    assert not can(Role.FRONT_DESK, Permission.RECORD_MEASURES)
    assert not can(Role.FRONT_DESK, Permission.ACKNOWLEDGE_ALERTS)


def test_compliance_and_research_take_no_part_in_measurement() -> None:
    for role in (Role.COMPLIANCE, Role.RESEARCHER):
        assert not ROLE_PERMISSIONS[role] & (MEASURE_PERMISSIONS | {Permission.SCHEDULE_SESSIONS})
