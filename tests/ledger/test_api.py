from __future__ import annotations

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
    expiry = clock.now().date().replace(year=clock.now().year + 1).isoformat()
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

    past = clock.now().date().replace(year=clock.now().year - 1)
    lot_id = receive(compliance, vial, safe, expiry=past).lot_id
    session = session_for(nurse)
    answer = post(
        api_client(nurse),
        f"/sessions/{session.pk}/withdrawals",
        {"lot_id": str(lot_id), "location_id": str(safe.pk), "quantity_mg": "500"},
    )
    assert answer.status_code == 422 and fields(answer) == {"lot_id"}
    assert "expired" in answer.json()["detail"][0]["msg"]
