"""The pure rules of who may change a staff account and who signs in with a second factor."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketacare.accounts.policy import MFA_ROLES, Role, may_change_account, second_factor_required

clinic_sets = st.frozensets(st.integers(1, 6), max_size=4)


@given(administered=clinic_sets, theirs=clinic_sets)
def test_a_clinic_admin_changes_an_account_only_if_they_run_all_its_clinics(administered, theirs):
    allowed = may_change_account(
        actor_id=1,
        actor_is_superuser=False,
        target_id=2,
        target_is_superuser=False,
        administered=administered,
        target_clinics=theirs,
    )
    assert allowed == (bool(administered) and theirs <= administered)


@given(administered=clinic_sets, theirs=clinic_sets, target_superuser=st.booleans())
def test_the_person_and_a_superuser_always_may(administered, theirs, target_superuser):
    common = {"administered": administered, "target_clinics": theirs}
    assert may_change_account(
        actor_id=2, actor_is_superuser=False, target_id=2, target_is_superuser=False, **common
    )
    assert may_change_account(
        actor_id=1,
        actor_is_superuser=True,
        target_id=2,
        target_is_superuser=target_superuser,
        **common,
    )


def test_a_clinic_admin_never_changes_a_superuser():
    assert not may_change_account(
        actor_id=1,
        actor_is_superuser=False,
        target_id=2,
        target_is_superuser=True,
        administered={1},
        target_clinics=set(),
    )


@given(roles=st.lists(st.sampled_from(list(Role)), max_size=3), device=st.booleans())
def test_second_factor_for_mfa_roles_superusers_and_anyone_enrolled(roles, device):
    needed = second_factor_required(
        is_superuser=False, has_device=device, roles_in_mfa_clinics=roles
    )
    assert needed == (device or any(r in MFA_ROLES for r in roles))
    assert second_factor_required(is_superuser=True, has_device=False, roles_in_mfa_clinics=[])


def test_the_roles_that_need_it():
    assert {Role.PRESCRIBER, Role.CLINIC_ADMIN, Role.COMPLIANCE} == MFA_ROLES
