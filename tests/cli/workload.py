"""Helpers the backup and durability tests run in their own processes, against the
database in KETACARE_DATABASE_URL, as the app itself would:

    python -m tests.cli.workload seed            a few clinics' worth of rows, via services
    python -m tests.cli.workload digest          {table: [rows, sha256 of the rows]} as JSON
    python -m tests.cli.workload write THREADS   concurrent weight readings, one id per line
                                                 on stdout once each has committed
    python -m tests.cli.workload present         reads ids on stdin; prints the missing ones
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import threading
from decimal import Decimal
from typing import Any

WRITER_CLINIC = "durability"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    import django

    django.setup()


def _access(slug: str, role: str = "prescriber") -> Any:
    from ketacare.accounts.access import ClinicAccess
    from ketacare.accounts.models import Clinic, User
    from ketacare.accounts.policy import Role
    from ketacare.accounts.services import clinic_create, membership_set

    clinic = Clinic.objects.filter(slug=slug).first() or clinic_create(name=slug, slug=slug)
    user, _ = User.objects.get_or_create(username=f"{slug}.{role}")
    membership_set(clinic=clinic, user=user, role=Role(role), actor=None)
    return ClinicAccess(user=user, clinic=clinic, role=Role(role))


def _patient(access: Any, mrn: str) -> Any:
    from ketacare.patients import services

    return services.patient_create(
        access=access,
        data={
            "mrn": mrn,
            "legal_given_name": "Test",
            "legal_family_name": f"Patient {mrn}",
            "date_of_birth": dt.date(1980, 1, 2),
            "sex_at_birth": "female",
        },
    )


def seed() -> None:
    from ketacare.patients import services
    from ketacare.patients.models import Allergy, BodyMeasurement

    for slug in ("riverside", "harbour"):
        access = _access(slug)
        for n in range(3):
            patient = _patient(access, f"{slug[0].upper()}-{n}")
            services.record_add(
                access=access,
                patient_id=patient.pk,
                model=BodyMeasurement,
                data={"measured_on": dt.date(2026, 1, 5), "weight_kg": Decimal("70.5") + n},
            )
            services.record_add(
                access=access, patient_id=patient.pk, model=Allergy, data={"substance": "Latex"}
            )
            services.patient_view(access=access, patient_id=patient.pk)


def digest() -> None:
    from django.db import connection

    result = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 - names from the catalogue
            rows = cursor.fetchall()
            text = json.dumps(rows, default=str, sort_keys=True).encode()
            result[table] = [len(rows), hashlib.sha256(text).hexdigest()]
    print(json.dumps(result))


def write(threads: int) -> None:
    from django.db import connection

    from ketacare.patients import services
    from ketacare.patients.models import BodyMeasurement

    access = _access(WRITER_CLINIC, "nurse")
    patient = _patient(_access(WRITER_CLINIC), "W-1")
    lock = threading.Lock()

    def writer() -> None:
        while True:
            row = services.record_add(
                access=access,
                patient_id=patient.pk,
                model=BodyMeasurement,
                data={"measured_on": dt.date(2026, 1, 5), "weight_kg": Decimal("71.0")},
            )
            with lock:  # acknowledged: the service has returned, so it has committed
                sys.stdout.write(f"{row.pk}\n")
                sys.stdout.flush()
            connection.close_if_unusable_or_obsolete()

    workers = [threading.Thread(target=writer, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()  # until the test kills the process


def present() -> None:
    from ketacare.patients.models import BodyMeasurement

    wanted = {line.strip() for line in sys.stdin if line.strip()}
    found = {
        str(pk) for pk in BodyMeasurement.objects.filter(pk__in=wanted).values_list("pk", flat=True)
    }
    print(json.dumps(sorted(wanted - found)))


def main() -> None:
    _setup()
    command, *args = sys.argv[1:]
    if command == "write":
        write(int(args[0]))
    else:
        {"seed": seed, "digest": digest, "present": present}[command]()


if __name__ == "__main__":
    main()
