from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.common import clock
from ketacare.ledger import services
from ketacare.ledger.models import LedgerEntry, Location, Product
from ketacare.treatment.models import Administration, TreatmentSession
from tests.factories import PatientFactory

VIAL_50 = {
    "name": "Ketamine 50 mg/mL, 10 mL vial",
    "substance": "ketamine",
    "form": "vial",
    "strength_mg": Decimal(50),
    "container_units": Decimal(10),
    "container_name": "vial",
    "ndc": "0409-2051-05",
}
SPRAVATO_56 = {
    "name": "Spravato 56 mg kit (2 devices)",
    "substance": "esketamine",
    "form": "device",
    "strength_mg": Decimal(28),
    "container_units": Decimal(2),
    "container_name": "kit",
    "ndc": "50458-028-02",
}


@pytest.fixture
def compliance(clinic: Clinic, make_access: Callable[..., ClinicAccess]) -> ClinicAccess:
    return make_access(Role.COMPLIANCE, clinic)


@pytest.fixture
def nurse(clinic: Clinic, make_access: Callable[..., ClinicAccess]) -> ClinicAccess:
    return make_access(Role.NURSE, clinic)


@pytest.fixture
def witness(clinic: Clinic, make_access: Callable[..., ClinicAccess]) -> ClinicAccess:
    return make_access(Role.PRESCRIBER, clinic)


@pytest.fixture
def safe(compliance: ClinicAccess) -> Location:
    return services.location_create(access=compliance, name="Main safe", kind="safe")


@pytest.fixture
def vial(compliance: ClinicAccess) -> Product:
    return services.product_create(access=compliance, data=VIAL_50)


def receive(
    access: ClinicAccess, product: Product, location: Location, containers: int = 2, **kw: Any
) -> LedgerEntry:
    args: dict[str, Any] = {
        "lot_number": "K123",
        "expiry": clock.now().date() + dt.timedelta(days=365),
        "supplier_name": "Acme Wholesale",
        "supplier_registration": "RA1234567",
        "supplier_address": "1 Depot Road, Springfield IL",
        "invoice": "INV-1",
    }
    args.update(kw)
    return services.receipt_record(
        access=access,
        product_id=product.pk,
        location_id=location.pk,
        containers=containers,
        **args,
    )


def session_for(
    access: ClinicAccess,
    *,
    ordered: str = "35",
    status: str = "checked_in",
    protocol: str = "iv_ketamine",
    given: str | None = None,
) -> TreatmentSession:
    """A session straight from the model (a factory): the ledger needs only its order,
    status and, once dosed, its administration record."""
    patient = PatientFactory.create(clinic=access.clinic, created_by=access.user)
    session = TreatmentSession.objects.create(
        clinic=access.clinic,
        patient=patient,
        scheduled_start=clock.now(),
        status=status,
        created_by=access.user,
        protocol_code=protocol,
        ordered_dose_mg=Decimal(ordered),
    )
    if given is not None:
        Administration.objects.create(
            clinic=access.clinic,
            session=session,
            drug="ketamine",
            route="iv",
            formulation="50 mg/mL",
            lot_number="K123",
            expiry=clock.now().date(),
            dose_ordered_mg=Decimal(ordered),
            dose_given_mg=Decimal(given),
            started_at=clock.now(),
            recorded_by=access.user,
        )
    return session
