"""How much does auditing cost a write, and how fast does audit-verify run?

Baseline: the same weight row saved with a bare ORM insert in its own transaction.
Measured: record_add (validation + row + hash-chained audit event, one transaction),
with and without the anchor sealed after commit (ketacare/audit/anchors.py).
Then audit-verify's events per second against a plain read of the same rows.

    .venv/bin/python -m benchmarks.audit_write [--writes 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from decimal import Decimal

from benchmarks._harness import report, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault(
        "KETACARE_AUDIT_ANCHOR_FILE",
        os.path.join(tempfile.mkdtemp(prefix="ketacare-bench-"), "anchors.jsonl"),
    )
    vendor = setup_django()

    from django.db import transaction

    from ketacare.accounts.access import ClinicAccess
    from ketacare.accounts.models import User
    from ketacare.accounts.policy import Role
    from ketacare.accounts.services import clinic_create
    from ketacare.audit import anchors
    from ketacare.audit.models import AuditEvent
    from ketacare.audit.selectors import audit_chain_verify
    from ketacare.patients import services
    from ketacare.patients.models import BodyMeasurement

    user = User.objects.create(username=f"bench-{time.time_ns()}")
    clinic = clinic_create(name="Bench", slug=f"bench-{time.time_ns()}")
    access = ClinicAccess(user=user, clinic=clinic, role=Role.PRESCRIBER)
    patient = services.patient_create(
        access=access,
        data={
            "mrn": "B-1",
            "legal_given_name": "Bench",
            "legal_family_name": "Mark",
            "date_of_birth": dt.date(1980, 1, 1),
            "sex_at_birth": "female",
        },
    )
    day = dt.date.today()

    def bare_insert() -> None:
        with transaction.atomic():
            BodyMeasurement.objects.create(
                patient=patient,
                clinic=clinic,
                entered_by=user,
                measured_on=day,
                weight_kg=Decimal("70.5"),
            )

    def audited_write() -> None:
        services.record_add(
            access=access,
            patient_id=patient.pk,
            model=BodyMeasurement,
            data={"measured_on": day, "weight_kg": Decimal("70.5")},
        )

    baseline = timed("bare ORM insert (baseline)", bare_insert, args.writes)
    audited = timed("record_add: validate + insert + audit event", audited_write, args.writes)
    # The anchor's share of the write: sealing and appending one head, alone (timing the
    # write with anchoring switched off instead drowns it in the machine's noise).
    head = anchors.anchor_head(clinic.pk, 1, "0" * 64)
    sealed = timed(
        "of which: seal + append one anchor", lambda: anchors.append([head]), args.writes
    )
    report(f"Writes on {vendor}, {args.writes} each", baseline, [audited, sealed])

    events = AuditEvent.objects.filter(clinic=clinic).count()

    def plain_read() -> None:
        for _event in (
            AuditEvent.objects.filter(clinic=clinic).order_by("sequence").iterator(chunk_size=2000)
        ):
            pass

    def verify() -> None:
        assert audit_chain_verify(clinic=clinic).broken is None

    read = timed(f"read {events} events in order (baseline)", plain_read, 5)
    checked = timed(f"audit_chain_verify over {events} events", verify, 5)
    report(f"Chain verification on {vendor}", read, [checked])
    print(f"  verify throughput: {events / (checked.median_ms / 1000):,.0f} events/s")


if __name__ == "__main__":
    main()
