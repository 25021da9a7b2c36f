"""The demo clinics' controlled-substance ledger: products (ketamine 50 mg/mL vials,
Spravato 56 mg and 84 mg kits), a safe and a cart, receipts before the first session, and
for every given session its withdrawal, witnessed waste (IV and IM: the rest of the vial)
and administration, so every given session balances. Then today's closing count of the
safe with one open discrepancy (a few mL short of an opened vial).

Cheap on purpose (the demo is seeded several times in CI): the session entries are built
in memory and appended in one bulk import (services.entries_import), one audit event per
clinic, instead of thousands of service calls.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_CEILING, Decimal

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.common import clock
from ketacare.demo.measures_seed import _staff
from ketacare.ledger import services
from ketacare.ledger.core import Kind
from ketacare.ledger.models import LedgerEntry, Location, Lot, Product
from ketacare.treatment.models import Administration, TreatmentSession

VIAL = {
    "name": "Ketamine 50 mg/mL, 10 mL vial",
    "substance": "ketamine",
    "form": "vial",
    "strength_mg": Decimal(50),
    "container_units": Decimal(10),
    "container_name": "vial",
    "ndc": "",
}
KIT_56 = {
    "name": "Spravato 56 mg kit (2 devices)",
    "substance": "esketamine",
    "form": "device",
    "strength_mg": Decimal(28),
    "container_units": Decimal(2),
    "container_name": "kit",
    "ndc": "50458-028-02",
}
KIT_84 = {**KIT_56, "name": "Spravato 84 mg kit (3 devices)", "container_units": Decimal(3)}
KIT_84["ndc"] = "50458-028-03"
SUPPLIER = {
    "supplier_name": "Northfield Pharmaceutical Wholesale (fictional)",
    "supplier_address": "12 Depot Lane, Springfield IL 62701",
    "supplier_registration": "RN0000001",
}
SPARE_VIALS, SPARE_KITS = 12, 4
SHORT_MG = Decimal(25)  # the open discrepancy: half a mL of an opened vial


def seed_ledger(users: dict[str, User]) -> None:
    for clinic in Clinic.objects.filter(slug__in=["riverside", "harbour"]).order_by("pk"):
        _seed_clinic(clinic, users)


def _officer(clinic: Clinic, users: dict[str, User]) -> ClinicAccess:
    return ClinicAccess(user=users["compliance.novak"], clinic=clinic, role=Role.COMPLIANCE)


def _seed_clinic(clinic: Clinic, users: dict[str, User]) -> None:
    officer = _officer(clinic, users)
    staff = _staff(clinic)
    services.settings_save(
        access=officer,
        data={
            "registration_number": "FD0000001" if clinic.slug == "riverside" else "FD0000002",
            "registrant_name": clinic.name,
        },
    )
    vial = services.product_create(access=officer, data=VIAL)
    kit56 = services.product_create(access=officer, data=KIT_56)
    kit84 = services.product_create(access=officer, data=KIT_84)
    safe = services.location_create(access=officer, name="Main safe", kind="safe")
    services.location_create(access=officer, name="Infusion cart", kind="cart")

    sessions = list(
        TreatmentSession.objects.filter(
            clinic=clinic,
            status__in=TreatmentSession.GIVEN_STATUSES,
            dosing_started_at__isnull=False,
        ).order_by("dosing_started_at")
    )
    given = {
        a.session_id: a
        for a in Administration.objects.filter(clinic=clinic, session__in=[s.pk for s in sessions])
    }
    first = min((s.dosing_started_at for s in sessions if s.dosing_started_at), default=clock.now())
    received = first - dt.timedelta(days=2)
    expiry = (clock.now() + dt.timedelta(days=540)).date()
    ketamine = [s for s in sessions if not s.protocol_code.startswith("esketamine")]
    esketamine = [s for s in sessions if s.protocol_code.startswith("esketamine")]
    devices = sum(_devices(_dose(s, given)) for s in esketamine)
    kits56 = (Decimal(devices) / 2).to_integral_value(ROUND_CEILING) + SPARE_KITS

    lots = {
        "vial": Lot.objects.create(
            clinic=clinic, product=vial, lot_number="KET-24-001", expiry=expiry
        ),
        "kit56": Lot.objects.create(
            clinic=clinic, product=kit56, lot_number="SPR-56-101", expiry=expiry
        ),
        "kit84": Lot.objects.create(
            clinic=clinic, product=kit84, lot_number="SPR-84-201", expiry=expiry
        ),
    }
    entries = [
        _receipt(
            staff.nurse.user,
            officer,
            lots["vial"],
            safe,
            len(ketamine) + SPARE_VIALS,
            vial,
            received,
        ),
        _receipt(staff.nurse.user, officer, lots["kit56"], safe, int(kits56), kit56, received),
        _receipt(staff.nurse.user, officer, lots["kit84"], safe, SPARE_KITS, kit84, received),
    ]
    for session in sessions:
        dose = _dose(session, given)
        if dose is None:
            continue
        esk = session.protocol_code.startswith("esketamine")
        lot = lots["kit56"] if esk else lots["vial"]
        drawn = Decimal(28 * _devices(dose)) if esk else Decimal(500)
        started = session.dosing_started_at
        assert started is not None
        common = {
            "lot": lot,
            "location": safe,
            "session": session,
            "patient_id": session.patient_id,
            "actor": staff.nurse.user,
        }
        entries.append(
            LedgerEntry(
                kind=Kind.WITHDRAWAL,
                occurred_at=started - dt.timedelta(minutes=10),
                quantity_mg=drawn,
                stock_delta_mg=-drawn,
                **common,
            )
        )
        administration = given.get(session.pk)
        if administration is not None and administration.dose_given_mg is None:
            continue  # dosing under way: drawn, not yet given or wasted
        if drawn > dose:
            entries.append(
                LedgerEntry(
                    kind=Kind.WASTE,
                    occurred_at=started - dt.timedelta(minutes=5),
                    quantity_mg=drawn - dose,
                    stock_delta_mg=Decimal(0),
                    witness=staff.prescriber.user,
                    witness_method="password",
                    method="Wasted at the point of care (drug waste container)",
                    **common,
                )
            )
        entries.append(
            LedgerEntry(
                kind=Kind.ADMINISTRATION,
                occurred_at=(session.dosing_ended_at or started + dt.timedelta(minutes=40)),
                quantity_mg=dose,
                stock_delta_mg=Decimal(0),
                administration=administration,
                **common,
            )
        )
    entries.sort(key=lambda e: e.occurred_at)
    services.entries_import(access=officer, entries=entries, note="demo seed")
    _count_with_a_discrepancy(clinic, officer, safe, lots["vial"], users)


def _dose(session: TreatmentSession, given: dict[uuid.UUID, Administration]) -> Decimal | None:
    administration = given.get(session.pk)
    if administration is not None:
        return administration.dose_given_mg or session.ordered_dose_mg
    return session.ordered_dose_mg or services.ordered_dose(session)


def _devices(dose: Decimal | None) -> int:
    return int((Decimal(dose or 0) / 28).to_integral_value(ROUND_CEILING))


def _receipt(
    actor: User,
    officer: ClinicAccess,
    lot: Lot,
    location: Location,
    containers: int,
    product: Product,
    at: dt.datetime,
) -> LedgerEntry:
    quantity = product.spec.container_mg * containers
    return LedgerEntry(
        kind=Kind.RECEIPT,
        occurred_at=at,
        actor=officer.user,
        lot=lot,
        location=location,
        quantity_mg=quantity,
        stock_delta_mg=quantity,
        containers=containers,
        invoice=f"INV-{lot.lot_number}",
        **SUPPLIER,
    )


def _count_with_a_discrepancy(
    clinic: Clinic, officer: ClinicAccess, safe: Location, vial_lot: Lot, users: dict[str, User]
) -> None:
    """Today's closing count of the safe, witnessed by the clinic administrator: every lot
    as the book has it, but the vial lot short by SHORT_MG (an open discrepancy)."""
    from ketacare.demo.seed import DEMO_PASSWORD
    from ketacare.ledger.models import Balance

    admin = Membership.objects.get(clinic=clinic, role=Role.CLINIC_ADMIN).user
    counted = {
        b.lot_id: b.quantity_mg - (SHORT_MG if b.lot_id == vial_lot.pk else 0)
        for b in Balance.objects.filter(clinic=clinic, location=safe)
    }
    services.count_record(
        access=officer,
        location_id=safe.pk,
        kind="daily",
        counted=counted,
        witness_username=admin.get_username(),
        witness_password=DEMO_PASSWORD,
    )
