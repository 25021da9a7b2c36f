"""How close do vital-sign writes come to the database's floor, alone and with writers in
parallel?

Floors, hand-written SQL in the same run on the same database:
  raw INSERT          one VitalReading row, one transaction per write;
  raw INSERT + chain  the row, then the clinic's audit chain: lock the head row, insert
                      the audit event with its hash, advance the head (one transaction).
Measured:
  service  `charting.vitals_record`, one reading per call;
  API      `POST /api/v1/patients/{id}/sessions/{id}/vitals`, one reading per request, to
           a live gunicorn (`ketacare serve`, sync workers, one per writer, started
           afresh for each number of writers) with a Bearer token, as a monitor
           integration posts;
  batch    the same service and endpoint with --batch readings per call (readings/s),
           against a raw batch: the rows and their audit events in one transaction.
Writers are processes (forked after set-up; each its own database connection and its own
session of the same clinic, so they meet only on the clinic's audit chain). Each figure is
printed with its ratio to the floor at the same number of writers.

    .venv/bin/python -m benchmarks.vitals_write [--writes 600] [--writers 1,4,16]
        [--batch 50] [--batches 20] [--no-api]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._harness import setup_django

VALUES = {"systolic": 126, "diastolic": 80, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}
Writer = Callable[[int], None]  # call n writes the writer's n-th call (one or more readings)


@dataclass(frozen=True)
class Run:
    label: str
    writers: int
    readings: int
    wall: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.readings / self.wall

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def run_parallel(
    label: str, writers: int, calls: int, per_call: int, make: Callable[[int], Writer]
) -> Run:
    """`writers` forked processes, each calling make(index)(n) for n in range(calls)."""
    from django.db import connections

    connections.close_all()  # each child opens its own
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(writers)
    results: Any = ctx.Queue()

    def child(index: int) -> None:
        try:
            write = make(index)
            barrier.wait()
            started, latencies = time.perf_counter(), []
            for n in range(calls):
                t0 = time.perf_counter()
                write(n)
                latencies.append(time.perf_counter() - t0)
            results.put((started, time.perf_counter(), latencies, None))
        except BaseException as exc:  # reported by the parent
            barrier.abort()
            results.put((0.0, 0.0, [], repr(exc)))
        finally:
            connections.close_all()

    processes = [ctx.Process(target=child, args=(i,)) for i in range(writers)]
    for process in processes:
        process.start()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    if failed := [o[3] for o in outcomes if o[3]]:
        raise RuntimeError(f"{label}: {failed[0]}")
    wall = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    latencies = [t for o in outcomes for t in o[2]]
    return Run(label, writers, writers * calls * per_call, wall, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=600, help="single writes per case")
    parser.add_argument("--writers", default="1,4,16")
    parser.add_argument("--batch", type=int, default=50, help="readings per batch")
    parser.add_argument("--batches", type=int, default=20, help="batches per writer")
    parser.add_argument("--no-api", action="store_true", help="skip the live-server cases")
    args = parser.parse_args()
    writer_counts = [int(n) for n in args.writers.split(",")]
    os.environ.setdefault(
        "KETACARE_AUDIT_ANCHOR_FILE",
        os.path.join(tempfile.mkdtemp(prefix="ketacare-bench-"), "anchors.jsonl"),
    )
    vendor = setup_django()

    from django.db import connection, transaction
    from django.utils import timezone

    from ketacare.accounts.access import ClinicAccess
    from ketacare.accounts.models import User
    from ketacare.accounts.policy import Role
    from ketacare.accounts.services import api_token_create, clinic_create, membership_set
    from ketacare.audit import chain
    from ketacare.audit.models import AuditChainHead, AuditEvent
    from ketacare.patients.models import Patient
    from ketacare.treatment import charting
    from ketacare.treatment.models import TreatmentSession, VitalReading

    stamp = time.time_ns()
    user = User.objects.create(username=f"bench-{stamp}")
    clinic = clinic_create(name="Bench", slug=f"bench-{stamp}", mfa_required=False)
    membership_set(clinic=clinic, user=user, role=Role.NURSE, actor=None)
    access = ClinicAccess(user=user, clinic=clinic, role=Role.NURSE)
    with transaction.atomic():
        _token, raw_token = api_token_create(access=access, name="bench", expires_in_days=30)
    now = timezone.now()
    taken_at = now - dt.timedelta(minutes=1)

    def sessions(count: int) -> list[TreatmentSession]:
        """Checked-in sessions of new patients, each with a baseline reading."""
        made = []
        for _ in range(count):
            n = uuid.uuid4().hex[:10]
            patient = Patient.objects.create(
                clinic=clinic,
                created_by=user,
                mrn=f"V{n}",
                legal_given_name="Vita",
                legal_family_name=f"Bench{n}",
                date_of_birth=dt.date(1980, 1, 1),
                sex_at_birth="female",
            )
            session = TreatmentSession.objects.create(
                clinic=clinic,
                patient=patient,
                created_by=user,
                scheduled_start=now - dt.timedelta(minutes=30),
                checked_in_at=now - dt.timedelta(minutes=30),
                status=TreatmentSession.Status.PRE_DOSE,
                protocol_code="iv_ketamine",
            )
            VitalReading.objects.create(
                clinic=clinic,
                session=session,
                entered_by=user,
                reading_id="baseline",
                taken_at=now - dt.timedelta(minutes=20),
                is_baseline=True,
                **VALUES,
            )
            made.append(session)
        return made

    # --- hand-written SQL floors ------------------------------------------------------

    def columns(model: Any, values: dict[str, Any]) -> tuple[str, list[Any]]:
        fields = [model._meta.get_field(name) for name in values]
        return ", ".join(f.column for f in fields), [
            f.get_db_prep_save(v, connection) for f, v in zip(fields, values.values(), strict=True)
        ]

    def reading_row(session: TreatmentSession, reading_id: str) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "created_at": timezone.now(),
            "updated_at": timezone.now(),
            "clinic": clinic.pk,
            "session": session.pk,
            "entered_by": user.pk,
            "entered_in_error_reason": "",
            "reading_id": reading_id,
            "taken_at": taken_at,
            "is_baseline": False,
            "source": "monitor",
            **VALUES,
            "temperature_c": None,
            "moaas": None,
        }

    def insert_sql(model: Any, row: dict[str, Any]) -> tuple[str, list[Any]]:
        names, params = columns(model, row)
        marks = ", ".join(["%s"] * len(params))
        return f"INSERT INTO {model._meta.db_table} ({names}) VALUES ({marks})", params  # noqa: S608

    lock_sql = (
        f"SELECT sequence, last_hash FROM {AuditChainHead._meta.db_table} "  # noqa: S608
        "WHERE clinic_id = %s"
        + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    )
    advance_sql = (
        f"UPDATE {AuditChainHead._meta.db_table} SET sequence = %s, last_hash = %s "  # noqa: S608
        "WHERE clinic_id = %s"
    )

    def event_row(session: TreatmentSession, row: dict[str, Any], after: tuple[int, str]) -> Any:
        payload = {
            "clinic_id": clinic.pk,
            "sequence": after[0] + 1,
            "occurred_at": timezone.now(),
            "actor_id": user.pk,
            "actor_username": user.username,
            "patient_id": session.patient_id,
            "object_type": "vitalreading",
            "object_id": str(row["id"]),
            "action": "create",
            "ip_address": None,
            "request_id": "",
            "changes": chain.jsonable({f: [None, row[f]] for f in ("taken_at", *VALUES)}),
            "details": {"session_id": str(session.pk)},
        }
        digest = chain.event_hash(after[1], payload)
        event = {
            "clinic": clinic.pk,
            "sequence": payload["sequence"],
            "occurred_at": payload["occurred_at"],
            "actor": user.pk,
            "actor_username": user.username,
            "patient_id": session.patient_id,
            "object_type": "vitalreading",
            "object_id": payload["object_id"],
            "action": "create",
            "ip_address": None,
            "request_id": "",
            "changes": payload["changes"],
            "details": payload["details"],
            "prev_hash": after[1],
            "hash": digest,
        }
        return event, (payload["sequence"], digest)

    def raw_writer(with_chain: bool, batch: int = 1) -> Callable[[int], Writer]:
        def make(index: int) -> Writer:
            session = mine[index]

            def write(n: int) -> None:
                rows = [reading_row(session, f"raw-{n}-{k}") for k in range(batch)]
                with transaction.atomic(), connection.cursor() as cursor:
                    for row in rows:
                        cursor.execute(*insert_sql(VitalReading, row))
                    if not with_chain:
                        return
                    cursor.execute(lock_sql, [clinic.pk])
                    head = cursor.fetchone()
                    for row in rows:
                        event, head = event_row(session, row, head)
                        cursor.execute(*insert_sql(AuditEvent, event))
                    cursor.execute(advance_sql, [head[0], head[1], clinic.pk])

            return write

        return make

    # --- the service and the API --------------------------------------------------------

    def readings(prefix: str, n: int, batch: int) -> list[charting.ReadingIn]:
        return [charting.ReadingIn(f"{prefix}-{n}-{k}", taken_at, VALUES) for k in range(batch)]

    def service_writer(batch: int = 1) -> Callable[[int], Writer]:
        def make(index: int) -> Writer:
            session = mine[index]

            def write(n: int) -> None:
                stored = charting.vitals_record(
                    access=access,
                    patient_id=session.patient_id,
                    session_id=session.pk,
                    readings=readings("svc", n, batch),
                    source="monitor",
                )
                assert len(stored) == batch and all(s.created for s in stored)

            return write

        return make

    def api_writer(port: int, batch: int = 1) -> Callable[[int], Writer]:
        def make(index: int) -> Writer:
            session = mine[index]
            path = f"/api/v1/patients/{session.patient_id}/sessions/{session.pk}/vitals"
            headers = {
                "Authorization": f"Bearer {raw_token}",
                "Content-Type": "application/json",
            }

            def write(n: int) -> None:
                body = json.dumps(
                    {
                        "source": "monitor",
                        "readings": [
                            {"reading_id": r.reading_id, "taken_at": taken_at.isoformat(), **VALUES}
                            for r in readings("api", n, batch)
                        ],
                    }
                )
                link = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                link.request("POST", path, body, headers)
                response = link.getresponse()
                answer = response.read()
                link.close()
                if response.status != 200:
                    raise RuntimeError(f"{response.status}: {answer[:300]!r}")

            return write

        return make

    runs: dict[tuple[str, int], Run] = {}
    mine: list[TreatmentSession] = []

    def measure(
        key: str,
        label: str,
        writers: int,
        make: Callable[[int], Writer],
        calls: int,
        per_call: int = 1,
    ) -> None:
        nonlocal mine
        mine = sessions(writers)
        run = runs[(key, writers)] = run_parallel(label, writers, calls, per_call, make)
        print(f"  ({label}, {writers} writers: {run.per_second:,.0f}/s)", flush=True)

    for writers in writer_counts:
        calls = max(args.writes // writers, 10)
        measure("raw", "raw INSERT", writers, raw_writer(False), calls)
        measure("chain", "raw INSERT + chain (floor)", writers, raw_writer(True), calls)
        measure("service", "service vitals_record", writers, service_writer(), calls)
    batch_writers = [w for w in writer_counts if w <= 4]
    for writers in batch_writers:
        measure(
            "raw-batch",
            f"raw batch of {args.batch} + chain (floor)",
            writers,
            raw_writer(True, args.batch),
            args.batches,
            args.batch,
        )
        measure(
            "service-batch",
            f"service, {args.batch} a call",
            writers,
            service_writer(args.batch),
            args.batches,
            args.batch,
        )

    if not args.no_api:
        for writers in writer_counts:
            # A server sized to the case (one worker per writer), so that no case shares
            # the 2 cores with workers only a larger case needs.
            with LiveServer(writers) as port:
                # Each worker's first request loads the URLs and the API schema: not measured.
                measure("warm-up", "warm-up", writers, api_writer(port), 5)
                calls = max(args.writes // writers, 10)
                measure("api", "API, one reading a request", writers, api_writer(port), calls)
                if writers in batch_writers:
                    measure(
                        "api-batch",
                        f"API, {args.batch} a request",
                        writers,
                        api_writer(port, args.batch),
                        args.batches,
                        args.batch,
                    )

    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"\nVital-sign writes on {vendor}; load average {' '.join(load)}; {os.cpu_count()} CPUs")
    print(
        f"  {'case':<36} {'writers':>7} {'writes/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'x floor':>8}"
    )
    order = ["raw", "chain", "service", "api", "raw-batch", "service-batch", "api-batch"]
    floors = {"raw": "raw", "chain": "chain", "service": "chain", "api": "chain"}
    for writers in writer_counts:
        for key in order:
            run = runs.get((key, writers))
            if run is None:
                continue
            floor = runs.get((floors.get(key, "raw-batch"), writers))
            ratio = run.per_second / floor.per_second if floor else float("nan")
            print(
                f"  {run.label:<36} {writers:>7} {run.per_second:>9,.0f} "
                f"{run.p50_ms:>8.2f} {run.p95_ms:>8.2f} {ratio:>8.2f}"
            )


class LiveServer:
    """`ketacare serve` on a free port of this machine, for the database in use."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        env = {
            **os.environ,
            "KETACARE_VAR_DIR": tempfile.mkdtemp(prefix="ketacare-bench-var-"),
            "PYTHONUNBUFFERED": "1",
            # gunicorn restarts a worker silent for --timeout seconds, booting included.
            "GUNICORN_CMD_ARGS": "--timeout 300",
        }
        argv = [sys.executable, "-m", "ketacare.cli", "serve", "--no-collectstatic"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", str(self.workers)]
        self.log = tempfile.NamedTemporaryFile(prefix="ketacare-bench-serve-", suffix=".log")
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            argv, env=env, stdout=subprocess.DEVNULL, stderr=self.log
        )
        # Every worker imports the application before it answers: slow on a loaded machine.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                link = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                link.request("GET", "/healthz")
                link.getresponse().read()
                link.close()
                return port
            except OSError:
                time.sleep(0.3)
        self.log.seek(0)
        raise RuntimeError(f"the server did not start: {self.log.read()[-2000:].decode()}")

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:  # the server's own account of what went wrong
            self.log.seek(0)
            print(self.log.read()[-3000:].decode(), file=sys.stderr)
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker still booting ignores the signal
                self.process.kill()
                self.process.wait()
        self.log.close()


if __name__ == "__main__":
    main()
