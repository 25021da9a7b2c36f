from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.common import clock
from ketacare.ledger.models import Location, Product
from tests.ledger.conftest import VIAL_50, session_for

pytestmark = pytest.mark.django_db
API = "/api/v1/ledger"


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}{path}", body, content_type="application/json")


def fields(response: Any) -> set[str]:
    return {e["loc"][-1] for e in response.json()["detail"]}


def test_the_workflow_over_the_api(
    clinic: Clinic,
    other_clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    api_client: Callable[[ClinicAccess], Client],
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
) -> None:
    officer, staff = api_client(compliance), api_client(nurse)
    product = post(officer, "/products", {k: str(v) for k, v in VIAL_50.items()}).json()
    safe = post(officer, "/locations", {"name": "Main safe", "kind": "safe"}).json()
    expiry = (clock.now().date() + dt.timedelta(days=365)).isoformat()
    receipt = {
        "product_id": product["id"],
        "location_id": safe["id"],
        "lot_number": "K1",
        "expiry": expiry,
        "containers": 1,
        "supplier_name": "Acme",
        "supplier_registration": "RA1234567",
    }
    missing = post(officer, "/receipts", {**receipt, "supplier_registration": "", "containers": 0})
    assert missing.status_code == 422 and fields(missing) == {"supplier_registration", "containers"}
    assert post(staff, "/receipts", receipt).status_code == 403
    created = post(officer, "/receipts", receipt)
    assert created.status_code == 201
    lot_id = created.json()["lot_id"]
    stock = staff.get(f"{API}/stock").json()
    assert [(s["lot_number"], s["quantity_mg"]) for s in stock] == [("K1", "500.00")]

    session = session_for(nurse, given="35")
    draw = {"lot_id": lot_id, "location_id": safe["id"], "quantity_mg": "500"}
    over = post(staff, f"/sessions/{session.pk}/withdrawals", {**draw, "quantity_mg": "600"})
    assert over.status_code == 422 and fields(over) == {"quantity_mg"}
    assert post(staff, f"/sessions/{session.pk}/withdrawals", draw).status_code == 201

    waste = {
        "quantity_mg": "465",
        "witness_username": nurse.user.username,
        "witness_password": "pw",
    }
    same = post(staff, f"/sessions/{session.pk}/waste", waste)
    assert same.status_code == 422 and "different person" in same.json()["detail"][0]["msg"]
    none = post(staff, f"/sessions/{session.pk}/waste", {"quantity_mg": "465"})
    assert none.status_code == 422 and fields(none) == {"witness_username"}
    waste["witness_username"] = witness.user.username
    assert post(staff, f"/sessions/{session.pk}/waste", waste).status_code == 201
    assert post(staff, f"/sessions/{session.pk}/administration", {}).status_code == 201
    record = staff.get(f"{API}/sessions/{session.pk}").json()
    assert record["balanced"] and len(record["entries"]) == 3

    log = officer.get(f"{API}/reports/dispensing")
    assert log.status_code == 200 and len(log.json()["rows"]) == 4
    csv = officer.get(f"{API}/reports/dispensing/csv")
    assert csv["Content-Type"].startswith("text/csv") and b"RA1234567" in csv.content
    assert staff.get(f"{API}/reports/dispensing").status_code == 403

    # Tenancy: another clinic's officer sees none of it.
    outsider = api_client(make_access(Role.COMPLIANCE, other_clinic))
    assert outsider.get(f"{API}/sessions/{session.pk}").status_code == 404
    assert post(outsider, "/receipts", receipt).status_code == 404
    assert outsider.get(f"{API}/stock").json() == []
    for role in (Role.FRONT_DESK, Role.RESEARCHER):
        client = api_client(make_access(role, clinic))
        assert client.get(f"{API}/stock").status_code == 403
        assert post(client, f"/sessions/{session.pk}/withdrawals", draw).status_code == 403


def test_an_expired_lot_is_refused_over_the_api(
    api_client: Callable[[ClinicAccess], Client],
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    from tests.ledger.conftest import receive

    past = clock.now().date() - dt.timedelta(days=365)
    lot_id = receive(compliance, vial, safe, expiry=past).lot_id
    session = session_for(nurse)
    answer = post(
        api_client(nurse),
        f"/sessions/{session.pk}/withdrawals",
        {"lot_id": str(lot_id), "location_id": str(safe.pk), "quantity_mg": "500"},
    )
    assert answer.status_code == 422 and fields(answer) == {"lot_id"}
    assert "expired" in answer.json()["detail"][0]["msg"]


def test_every_ledger_operation_keeps_to_its_clinic(
    clinic: Clinic,
    other_clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    api_client: Callable[[ClinicAccess], Client],
    compliance: ClinicAccess,
    nurse: ClinicAccess,
    witness: ClinicAccess,
    vial: Product,
    safe: Location,
) -> None:
    """Each ledger operation, called by clinic B staff allowed to use it, with clinic A's
    ids in the path or the body: 404, and nothing of clinic A is changed or shown."""
    from ketacare.ledger import services
    from ketacare.ledger.models import Investigation, LedgerEntry
    from tests.api.operations import LEDGER_PREFIX, schema_operations
    from tests.ledger.conftest import receive

    entry = receive(compliance, vial, safe)
    session = session_for(nurse, given="35")
    services.count_record(
        access=compliance,
        location_id=safe.pk,
        kind="daily",
        counted={entry.lot_id: "400"},
        witness_username=witness.user.username,
        witness_password="pw",
    )
    investigation = Investigation.objects.get()
    b_officer = api_client(make_access(Role.COMPLIANCE, other_clinic))
    b_nurse = api_client(make_access(Role.NURSE, other_clinic))
    a = {"lot_id": str(entry.lot_id), "location_id": str(safe.pk)}
    bodies: dict[str, dict[str, Any]] = {
        "/receipts": {
            "product_id": str(vial.pk),
            "location_id": str(safe.pk),
            "lot_number": "X",
            "expiry": "2030-01-01",
            "containers": 1,
            "supplier_name": "S",
            "supplier_registration": "R",
        },
        "/transfers": {
            "lot_id": a["lot_id"],
            "from_location_id": a["location_id"],
            "to_location_id": a["location_id"],
            "quantity_mg": "1",
        },
        "/disposals": {"kind": "loss", **a, "quantity_mg": "1", "reason": "x"},
        "/counts": {
            "location_id": a["location_id"],
            "kind": "daily",
            "counted": {},
            "witness_username": "x",
        },
        "/entries/{ledger_entry_id}/reverse": {"reason": "x"},
        "/investigations/{investigation_id}/close": {"resolution": "x"},
        "/sessions/{session_id}/withdrawals": {**a, "quantity_mg": "500"},
        "/sessions/{session_id}/administration": {},
        "/sessions/{session_id}/waste": {"quantity_mg": "1"},
        "/products": {
            "name": "P",
            "substance": "ketamine",
            "form": "vial",
            "strength_mg": "50",
            "container_units": "10",
        },
        "/locations": {"name": "Own safe"},
        "/settings": {"registration_number": "BX1234567"},
    }
    ids = {
        "{ledger_entry_id}": str(entry.pk),
        "{investigation_id}": str(investigation.pk),
        "{session_id}": str(session.pk),
    }
    before = LedgerEntry.objects.filter(clinic=clinic).count()
    seen = 0
    for (method, path), _spec in schema_operations().items():
        if not path.startswith(LEDGER_PREFIX):
            continue
        seen += 1
        short = path.removeprefix(LEDGER_PREFIX.rstrip("/"))
        url = path
        for name, value in ids.items():
            url = url.replace(name, value)
        client = b_nurse if "/sessions/" in short else b_officer
        if method == "GET":
            answer = client.get(url, {"patient_id": str(session.patient_id)})
            if "{" in path or short.startswith("/reports/patient"):
                assert answer.status_code == 404, (method, path, answer.status_code)
            else:
                assert answer.status_code == 200, (method, path)
                assert str(entry.lot_id) not in answer.content.decode(), (method, path)
                assert safe.name not in answer.content.decode(), (method, path)
            continue
        body = bodies[short]
        answer = client.generic(method, url, json.dumps(body), content_type="application/json")
        names_a_record = "{" in path or any(
            k in body for k in ("lot_id", "location_id", "product_id")
        )
        expected = 404 if names_a_record else (201 if method == "POST" else 200)
        assert answer.status_code == expected, (method, path, answer.status_code, answer.content)
    assert seen >= 25
    assert LedgerEntry.objects.filter(clinic=clinic).count() == before
    investigation.refresh_from_db()
    assert investigation.status == "open"


def test_the_entries_come_a_page_at_a_time_following_the_link_header(
    compliance: ClinicAccess, api_client: Callable[[ClinicAccess], Client]
) -> None:
    officer = api_client(compliance)
    product = post(officer, "/products", {k: str(v) for k, v in VIAL_50.items()}).json()
    safe = post(officer, "/locations", {"name": "Main safe", "kind": "safe"}).json()
    expiry = (clock.now().date() + dt.timedelta(days=365)).isoformat()
    for n in range(5):
        receipt = {
            "product_id": product["id"],
            "location_id": safe["id"],
            "lot_number": f"K{n}",
            "expiry": expiry,
            "containers": 1,
            "supplier_name": "Acme",
            "supplier_registration": "RA1234567",
        }
        assert post(officer, "/receipts", receipt).status_code == 201
    everything = officer.get(f"{API}/entries").json()
    assert len(everything) == 5

    url, pages = f"{API}/entries?limit=2", []
    while url:
        response = officer.get(url)
        pages.append(response.json())
        link = response.headers.get("Link", "")
        url = link[1 : link.index(">")] if link else ""
        assert not link or link.endswith('; rel="next"')
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [e["id"] for page in pages for e in page] == [e["id"] for e in everything]
    assert officer.get(f"{API}/entries?limit=0").status_code == 422
