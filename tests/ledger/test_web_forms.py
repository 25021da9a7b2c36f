"""The ledger's forms for compliance officers and administrators: blind count, transfer,
return, destruction, loss or theft (with the DEA Form 106 prompt), reversal and settings.
Each: the happy path and one refusal that names its field."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.ledger import services
from ketacare.ledger.models import (
    Balance,
    Count,
    Investigation,
    LedgerEntry,
    LedgerSettings,
    Location,
    Product,
)
from tests.ledger.conftest import receive

pytestmark = pytest.mark.django_db


def signed_in(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def flashed(response: object) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))  # type: ignore[attr-defined]


@pytest.fixture
def stocked(compliance: ClinicAccess, vial: Product, safe: Location) -> LedgerEntry:
    return receive(compliance, vial, safe, containers=2)  # 1000 mg


def _stock(entry: LedgerEntry) -> str:
    return f"{entry.lot_id}:{entry.location_id}"


def _mg(entry: LedgerEntry, location: Location) -> Decimal:
    return Balance.objects.get(lot_id=entry.lot_id, location=location).quantity_mg


def test_blind_count_hides_the_expected_figure_then_shows_the_discrepancy(
    clinic: Clinic,
    compliance: ClinicAccess,
    witness: ClinicAccess,
    safe: Location,
    stocked: LedgerEntry,
) -> None:
    client = signed_in(compliance)
    url = reverse("ledger_count", args=[clinic.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert b"K123" in page.content and b"1000" not in page.content  # blind
    assert f'<label for="counted-{stocked.lot_id}"'.encode() in page.content
    form = {
        "location_id": str(safe.pk),
        "kind": "daily",
        "timing": "close",
        f"counted_{stocked.lot_id}": "975",
        "witness_username": witness.user.username,
    }
    wrong = client.post(url, {**form, "witness_password": "nope"})
    assert "Witness: " in flashed(wrong) and not Count.objects.exists()
    done = client.post(url, {**form, "witness_password": "pw"})
    count = Count.objects.get()
    assert done["Location"] == reverse("ledger_count_result", args=[clinic.slug, count.pk])
    result = client.get(done["Location"])
    assert b"1000 mg" in result.content and b"975 mg" in result.content
    assert b"-25 mg" in result.content and b"Investigations opened" in result.content
    assert Investigation.objects.get().discrepancy_mg == Decimal(-25)


def test_transfer_and_its_refusal(
    clinic: Clinic,
    compliance: ClinicAccess,
    safe: Location,
    stocked: LedgerEntry,
) -> None:
    cart = services.location_create(access=compliance, name="Cart", kind="cart")
    client = signed_in(compliance)
    url = reverse("ledger_manage", args=[clinic.slug])
    assert client.get(url).status_code == 200
    same = client.post(
        url,
        {
            "action": "transfer",
            "stock": _stock(stocked),
            "to_location_id": str(safe.pk),
            "quantity_mg": "100",
        },
    )
    assert "To location: Choose a different location." in flashed(same)
    client.post(
        url,
        {
            "action": "transfer",
            "stock": _stock(stocked),
            "to_location_id": str(cart.pk),
            "quantity_mg": "100",
        },
    )
    assert _mg(stocked, cart) == 100 and _mg(stocked, safe) == 900


def test_return_and_its_refusal(
    clinic: Clinic, compliance: ClinicAccess, safe: Location, stocked: LedgerEntry
) -> None:
    client = signed_in(compliance)
    url = reverse("ledger_manage", args=[clinic.slug])
    form = {"action": "return", "stock": _stock(stocked), "quantity_mg": "500"}
    refused = client.post(url, form)
    assert "Supplier: Name the supplier or reverse distributor." in flashed(refused)
    client.post(url, {**form, "supplier_name": "Reverse Co", "supplier_registration": "RR1"})
    assert LedgerEntry.objects.get(kind="return").supplier_name == "Reverse Co"
    assert _mg(stocked, safe) == 500


def test_destruction_with_two_witnesses_and_its_refusal(
    clinic: Clinic,
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    safe: Location,
    stocked: LedgerEntry,
) -> None:
    client = signed_in(compliance)
    url = reverse("ledger_manage", args=[clinic.slug])
    form = {
        "action": "destruction",
        "stock": _stock(stocked),
        "quantity_mg": "500",
        "method": "Chemical digestion (Rx Destroyer)",
        "witness_id": str(nurse.user.pk),
    }
    refused = client.post(url, {**form, "second_witness_id": str(nurse.user.pk)})
    assert "Second witness: The two witnesses must be different people." in flashed(refused)
    client.post(url, {**form, "second_witness_id": str(witness.user.pk)})
    entry = LedgerEntry.objects.get(kind="destruction")
    assert (entry.witness, entry.second_witness) == (nurse.user, witness.user)


def test_significant_loss_prompts_the_form_106_fields(
    clinic: Clinic, compliance: ClinicAccess, safe: Location, stocked: LedgerEntry
) -> None:
    client = signed_in(compliance)
    url = reverse("ledger_manage", args=[clinic.slug])
    form = {"action": "loss", "stock": _stock(stocked), "quantity_mg": "500", "reason": "Theft"}
    refused = client.post(url, form)
    assert "Date discovered: Enter the date the loss or theft was discovered." in flashed(refused)
    today = clinic.today()
    done = client.post(url, {**form, "discovered_on": today.isoformat()}, follow=True)
    body = done.content.decode()
    assert "significant loss" in body and "DEA Form 106" in body
    assert "Date the loss or theft was discovered" in body and today.isoformat() in body
    assert "Notify the DEA in writing by" in body and "500 mg" in body
    # Recorded directly, the significant loss opens its investigation as a count would.
    investigation = Investigation.objects.get(clinic=clinic)
    assert investigation.significant_loss and investigation.discrepancy_mg == -500
    assert investigation.owner == compliance.user and investigation.count_line is None
    assert investigation.notice_due_on is not None and investigation.notice_due_on > today
    assert investigation.form_106["type_of_loss"] == "Theft"
    assert investigation.form_106["date_of_loss_discovered"] == today.isoformat()


def test_reversal_with_a_reason_and_its_refusal(
    clinic: Clinic, compliance: ClinicAccess, safe: Location, stocked: LedgerEntry
) -> None:
    client = signed_in(compliance)
    url = reverse("ledger_manage", args=[clinic.slug])
    refused = client.post(url, {"action": "reverse", "entry_id": str(stocked.pk), "reason": ""})
    assert "Reason: Give the reason for the reversal." in flashed(refused)
    client.post(url, {"action": "reverse", "entry_id": str(stocked.pk), "reason": "Wrong lot"})
    assert LedgerEntry.objects.get(kind="reversal").reverses == stocked
    assert _mg(stocked, safe) == 0


def test_settings_form_saves_and_names_a_bad_field(
    clinic: Clinic, compliance: ClinicAccess, make_access: Callable[..., ClinicAccess]
) -> None:
    client = signed_in(compliance)
    url = reverse("ledger_settings", args=[clinic.slug])
    page = client.get(url)
    assert page.status_code == 200 and b'<label for="id_registration_number">' in page.content
    form = {
        "registration_number": "AB1234563",
        "schedule_authority": "III",
        "registrant_name": "Clinic A",
        "require_balanced_to_sign": "on",
        "waste_witness_required": "on",
        "significant_loss_mg": "250",
        "loss_pattern_count": "3",
        "loss_notice_business_days": "1",
        "investigation_days": "7",
        "multi_dose_open_days": "28",
        "record_retention_years": "2",
    }
    bad = client.post(url, {**form, "significant_loss_mg": "lots"})
    assert "Significant loss from (mg): " in flashed(bad)
    client.post(url, form)
    saved = LedgerSettings.objects.get(clinic=clinic)
    assert saved.registration_number == "AB1234563" and saved.significant_loss_mg == 250
    nurse = signed_in(make_access(Role.NURSE, clinic))
    assert nurse.get(url).status_code == 403
    assert nurse.get(reverse("ledger_manage", args=[clinic.slug])).status_code == 403
