from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.ledger.models import LedgerEntry, Location, Product
from tests.ledger.conftest import receive, session_for

pytestmark = pytest.mark.django_db


def signed_in(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def flashed(response: object) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))  # type: ignore[attr-defined]


def test_session_page_withdraw_waste_refusals_and_reports(
    clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    receipt = receive(compliance, vial, safe, containers=1)
    session = session_for(nurse, given="35")
    url = reverse("session_ledger", args=[clinic.slug, session.patient_id, session.pk])
    client = signed_in(nurse)
    page = client.get(url)
    assert page.status_code == 200 and b"Not balanced" in page.content
    stock = f"{receipt.lot_id}:{safe.pk}"
    over = client.post(url, {"action": "withdraw", "stock": stock, "quantity_mg": "600"})
    assert "Quantity (mg): The order is 35 mg" in flashed(over)
    client.post(url, {"action": "withdraw", "stock": stock, "quantity_mg": "500"})
    alone = client.post(url, {"action": "waste", "quantity_mg": "465"})
    assert "Witness: A second licensed person must witness" in flashed(alone)
    self_witness = client.post(
        url,
        {
            "action": "waste",
            "quantity_mg": "465",
            "witness_username": nurse.user.username,
            "witness_password": "pw",
        },
    )
    assert "Witness: The witness must be a different person" in flashed(self_witness)
    client.post(
        url,
        {
            "action": "waste",
            "quantity_mg": "465",
            "witness_username": witness.user.username,
            "witness_password": "pw",
        },
    )
    client.post(url, {"action": "administration"})
    assert b"Balanced" in client.get(url).content
    assert LedgerEntry.objects.count() == 4

    officer = signed_in(compliance)
    home = officer.get(reverse("ledger_home", args=[clinic.slug]))
    assert home.status_code == 200 and b"Everything matches" in home.content
    report_url = reverse("ledger_report", args=[clinic.slug])
    log = officer.get(report_url, {"code": "dispensing"})
    assert log.status_code == 200 and b"RA1234567" in log.content and b"500.00" not in log.content
    assert officer.get(report_url, {"code": "dispensing", "format": "csv"})[
        "Content-Type"
    ].startswith("text/csv")
    pdf = officer.get(report_url, {"code": "dispensing", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert signed_in(make_access(Role.FRONT_DESK, clinic)).get(url).status_code == 403
    assert client.get(report_url).status_code == 403
