"""Shared set-up for benchmarks: a throw-away database, Django, and a timer.

Each benchmark is one command (`.venv/bin/python -m benchmarks.<name>`) that prints
its figures next to a baseline measured in the same run on the same database.
Set KETACARE_DATABASE_URL to benchmark PostgreSQL; the default is a fresh SQLite file.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass


def setup_django() -> str:
    if "KETACARE_DATABASE_URL" not in os.environ:
        path = os.path.join(tempfile.mkdtemp(prefix="ketacare-bench-"), "bench.sqlite3")
        os.environ["KETACARE_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection

    return connection.vendor


@dataclass(frozen=True)
class Timing:
    label: str
    seconds: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def timed(label: str, action: Callable[[], object], repeat: int) -> Timing:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return Timing(label, seconds)


def report(title: str, baseline: Timing, measured: list[Timing]) -> None:
    print(f"\n{title}")
    print(f"  {'case':<44} {'median ms':>10} {'p95 ms':>9} {'x baseline':>11}")
    for timing in [baseline, *measured]:
        ratio = timing.median_ms / baseline.median_ms if baseline.median_ms else float("nan")
        print(
            f"  {timing.label:<44} {timing.median_ms:>10.3f} {timing.p95_ms:>9.3f} {ratio:>11.2f}"
        )
