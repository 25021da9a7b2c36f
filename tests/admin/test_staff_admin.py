"""Clinic administrators manage staff and memberships of their own clinics in the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from ketacare.accounts.models import Membership
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_clinic_admin_sees_only_their_clinics_memberships(clinic, other_clinic):
    admin = MembershipFactory.create(clinic=clinic, role=Role.CLINIC_ADMIN.value).user
    mine = MembershipFactory.create(clinic=clinic, role=Role.NURSE.value)
    theirs = MembershipFactory.create(clinic=other_clinic, role=Role.NURSE.value)
    client = _client_for(admin)

    listing = client.get("/admin/accounts/membership/")

    assert listing.status_code == 200
    page = listing.content.decode()
    assert f"/admin/accounts/membership/{mine.pk}/change/" in page
    assert f"/admin/accounts/membership/{theirs.pk}/change/" not in page
    other = client.get(f"/admin/accounts/membership/{theirs.pk}/change/")
    assert other.status_code in (302, 404)  # Django admin redirects unknown ids to the list


def test_clinic_admin_adds_a_membership_and_it_is_audited(clinic, other_clinic):
    admin = MembershipFactory.create(clinic=clinic, role=Role.CLINIC_ADMIN.value).user
    newcomer = UserFactory.create()
    client = _client_for(admin)

    response = client.post(
        "/admin/accounts/membership/add/",
        {
            "user": newcomer.pk,
            "clinic": clinic.pk,
            "role": Role.PRESCRIBER.value,
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=newcomer, clinic=clinic)
    assert membership.role == Role.PRESCRIBER.value
    event = AuditEvent.objects.get(
        clinic=clinic, object_type="membership", object_id=str(membership.pk)
    )
    assert event.actor == admin
    assert event.changes["role"] == [None, "prescriber"]


def test_clinic_admin_cannot_add_membership_to_another_clinic(clinic, other_clinic):
    admin = MembershipFactory.create(clinic=clinic, role=Role.CLINIC_ADMIN.value).user
    newcomer = UserFactory.create()

    response = _client_for(admin).post(
        "/admin/accounts/membership/add/",
        {"user": newcomer.pk, "clinic": other_clinic.pk, "role": Role.NURSE.value},
    )

    assert response.status_code == 200  # the form re-renders with an invalid-choice error
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.CLINIC_ADMIN])
def test_other_roles_cannot_open_the_admin(clinic, role):
    user = MembershipFactory.create(clinic=clinic, role=role.value).user

    response = _client_for(user).get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_memberships_cannot_be_deleted_in_the_admin(clinic):
    admin = MembershipFactory.create(clinic=clinic, role=Role.CLINIC_ADMIN.value).user
    nurse = MembershipFactory.create(clinic=clinic, role=Role.NURSE.value)

    response = _client_for(admin).post(
        f"/admin/accounts/membership/{nurse.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 403
    assert Membership.objects.filter(pk=nurse.pk).exists()


def test_superuser_creates_a_clinic_with_an_audit_chain(db):
    from ketacare.accounts.models import Clinic
    from ketacare.audit.models import AuditChainHead

    root = UserFactory.create(is_superuser=True, is_staff=True)
    response = _client_for(root).post(
        "/admin/accounts/clinic/add/",
        {
            "name": "Lakeside",
            "slug": "lakeside",
            "time_zone": "Europe/Dublin",
            "is_active": "on",
            "mfa_required": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    clinic = Clinic.objects.get(slug="lakeside")
    assert AuditChainHead.objects.get(clinic=clinic).sequence == 1
    assert AuditEvent.objects.get(clinic=clinic).action == "create"

    _client_for(root).post(
        f"/admin/accounts/clinic/{clinic.pk}/change/",
        {
            "name": "Lakeside Clinic",
            "slug": "lakeside",
            "time_zone": "Europe/Dublin",
            "is_active": "on",
            "mfa_required": "on",
        },
    )
    update = AuditEvent.objects.get(clinic=clinic, action="update")
    assert update.changes == {"name": ["Lakeside", "Lakeside Clinic"]}


def test_clinic_admin_keeps_their_clinics_site_details_for_the_rems_form(clinic, other_clinic):
    """Issue #12 finding 12: the REMS form needs the setting's address, city, state, ZIP."""
    admin = MembershipFactory.create(clinic=clinic, role=Role.CLINIC_ADMIN.value).user
    client = _client_for(admin)
    url = f"/admin/accounts/clinic/{clinic.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and "Healthcare setting" in page.content.decode()
    site = {
        "site_address": "12 River Street",
        "site_city": "Boston",
        "site_state": "MA",
        "site_zip": "02114",
        "site_phone": "+1 617 555 0100",
    }
    refused = client.post(url, {**site, "site_zip": "ABC"})
    assert refused.status_code == 200 and "Give a ZIP code as 12345" in refused.content.decode()
    saved = client.post(url, {**site, "name": "Renamed"})  # the name is read-only here
    assert saved.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.site_city, clinic.site_zip, clinic.name) == ("Boston", "02114", clinic.name)
    assert clinic.name != "Renamed"
    update = AuditEvent.objects.get(clinic=clinic, action="update", object_type="clinic")
    assert update.changes["site_city"] == ["Springfield", "Boston"]
    # Another clinic is not theirs to change.
    assert client.get(f"/admin/accounts/clinic/{other_clinic.pk}/change/").status_code in (302, 404)
