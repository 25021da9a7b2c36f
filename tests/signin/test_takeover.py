"""Finding 1: an administrator of one clinic cannot take over an account that also
belongs to another clinic; the attempt is refused (403) and audited in both clinics."""

from __future__ import annotations

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import ApiToken, Clinic, User
from ketacare.accounts.policy import Role
from ketacare.accounts.services import (
    account_password_set,
    account_update,
    api_token_create,
    membership_set,
    mfa_reset,
)
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import PermissionDenied
from tests.signin.conftest import PASSWORD, Clinics, enrolled, signed_in, staff

NEW = "a brand new long passphrase"


def _denials(clinic: Clinic, user: User) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            clinic=clinic, action="deny", object_type="staff_account", object_id=str(user.pk)
        )
    )


@pytest.fixture
def takeover(clinics: Clinics) -> tuple[User, User]:
    admin = staff("admin.riverside", {clinics.riverside: Role.CLINIC_ADMIN})
    colleague = staff(
        "dr.both", {clinics.riverside: Role.PRESCRIBER, clinics.harbour: Role.PRESCRIBER}
    )
    return admin, colleague


def test_the_admin_password_page_refuses_and_both_clinics_record_it(clinics, takeover):
    admin, colleague = takeover
    client = signed_in(admin)
    url = f"/admin/accounts/user/{colleague.pk}/password/"

    response = client.post(url, {"password1": NEW, "password2": NEW, "usable_password": "true"})

    assert response.status_code == 403
    colleague.refresh_from_db()
    assert colleague.check_password(PASSWORD)
    for clinic in (clinics.riverside, clinics.harbour):
        (event,) = _denials(clinic, colleague)
        assert event.actor == admin and event.details["attempted"] == "password"
    assert Client().post("/login/", {"username": "dr.both", "password": NEW}).status_code == 200


def test_the_admin_change_form_refuses_email_and_deactivation(clinics, takeover):
    admin, colleague = takeover
    response = signed_in(admin).post(
        f"/admin/accounts/user/{colleague.pk}/change/",
        {"username": "dr.both", "email": "attacker@example.org", "is_active": ""},
    )

    assert response.status_code == 403
    colleague.refresh_from_db()
    assert colleague.email == "dr.both@example.org" and colleague.is_active
    assert _denials(clinics.harbour, colleague)


def test_the_services_refuse_the_same_change_on_any_path(clinics, takeover):
    admin, colleague = takeover
    with pytest.raises(PermissionDenied):
        account_password_set(actor=admin, user=colleague, password=NEW)
    with pytest.raises(PermissionDenied):
        account_update(actor=admin, user=colleague, data={"email": "x@example.org"})
    assert len(_denials(clinics.harbour, colleague)) == 2


def test_an_inactive_membership_elsewhere_still_protects_the_account(clinics, takeover):
    admin, colleague = takeover
    membership_set(
        clinic=clinics.harbour, user=colleague, role=Role.PRESCRIBER, actor=None, is_active=False
    )
    with pytest.raises(PermissionDenied):
        account_password_set(actor=admin, user=colleague, password=NEW)


def test_an_admin_changes_their_own_clinics_staff_and_it_is_audited(clinics, takeover):
    admin, _colleague = takeover
    nurse = staff("nurse.r", {clinics.riverside: Role.NURSE})
    token, _raw = api_token_create(
        access=ClinicAccess(user=nurse, clinic=clinics.riverside, role=Role.NURSE),
        name="lab",
        expires_in_days=30,
    )

    response = signed_in(admin).post(
        f"/admin/accounts/user/{nurse.pk}/password/",
        {"password1": NEW, "password2": NEW, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:1500]
    nurse.refresh_from_db()
    assert nurse.check_password(NEW)
    event = AuditEvent.objects.get(clinic=clinics.riverside, action="set_password")
    assert event.actor == admin and event.details == {"user": "nurse.r", "by": "another user"}
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_admin_refuses_a_weak_password(clinics, takeover):
    admin, _colleague = takeover
    nurse = staff("nurse.r", {clinics.riverside: Role.NURSE})
    response = signed_in(admin).post(
        f"/admin/accounts/user/{nurse.pk}/password/",
        {"password1": "Summer2026", "password2": "Summer2026", "usable_password": "true"},
    )
    assert response.status_code == 200
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_a_superuser_or_the_person_may_change_it(clinics, takeover):
    _admin, colleague = takeover
    root = staff("root", {}, superuser=True)
    account_update(actor=root, user=colleague, data={"email": "new@example.org"})
    account_password_set(actor=colleague, user=colleague, password=NEW)

    events = AuditEvent.objects.filter(object_type="staff_account", object_id=str(colleague.pk))
    assert {(e.clinic.slug, e.action) for e in events} >= {
        ("riverside", "update"),
        ("harbour", "update"),
        ("riverside", "set_password"),
        ("harbour", "set_password"),
    }


def test_only_the_person_or_a_superuser_resets_two_factor(clinics, takeover):
    admin, _colleague = takeover
    nurse = staff("nurse.r", {clinics.riverside: Role.NURSE})
    enrolled(nurse)
    with pytest.raises(PermissionDenied):
        mfa_reset(actor=admin, user=nurse)  # even an account only in the admin's clinic
    assert _denials(clinics.riverside, nurse)[0].details["attempted"] == "two-factor reset"

    mfa_reset(actor=nurse, user=nurse)
    assert AuditEvent.objects.filter(clinic=clinics.riverside, action="reset_mfa").count() == 1


def test_a_password_change_signs_out_other_sessions_and_revokes_every_token(clinics, takeover):
    _admin, colleague = takeover
    for clinic in (clinics.riverside, clinics.harbour):
        api_token_create(
            access=ClinicAccess(user=colleague, clinic=clinic, role=Role.PRESCRIBER),
            name="lab",
            expires_in_days=30,
        )
    other_session = signed_in(colleague)

    account_password_set(actor=colleague, user=colleague, password=NEW)

    assert not ApiToken.objects.filter(user=colleague, revoked_at__isnull=True).exists()
    assert other_session.get("/account/").status_code == 302  # back to sign-in


def test_an_admin_adds_an_account_through_the_service(clinics, takeover):
    admin, _colleague = takeover
    response = signed_in(admin).post(
        "/admin/accounts/user/add/",
        {"username": "new.nurse", "usable_password": "true", "password1": NEW, "password2": NEW},
    )

    assert response.status_code == 302, response.content.decode()[:1500]
    created = User.objects.get(username="new.nurse")
    assert created.check_password(NEW)
    event = AuditEvent.objects.get(clinic=clinics.riverside, action="create", object_id=created.pk)
    assert event.actor == admin and event.object_type == "staff_account"
