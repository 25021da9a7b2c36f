"""Databases for the command-line tests that run KetaCare in its own processes: a URL and
the var/ directory (audit anchors, backups) that go with it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

WORKLOAD = [sys.executable, "-m", "tests.cli.workload"]
KETACARE = [sys.executable, "-m", "ketacare.cli"]


def run(args: list[str], var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KETACARE_")}
    environment |= {"KETACARE_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "ketacare.settings"}
    environment |= env
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        KETACARE + args,
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,  # generous: a loaded 2-core machine seeds the demo slowly
        check=False,
    )


@dataclass(frozen=True)
class Target:
    """A database (URL) and its var/ directory (anchors, backups)."""

    url: str
    var: Path

    def env(self) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KETACARE_")}
        return environment | {
            "KETACARE_VAR_DIR": str(self.var),
            "KETACARE_DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "ketacare.settings",
        }

    def ketacare(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run(list(args), self.var, KETACARE_DATABASE_URL=self.url, **env)

    def workload(self, *args: str, stdin: str = "") -> str:
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            [*WORKLOAD, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


def sqlite_target(var: Path, template: Path | None = None) -> Target:
    """A SQLite database in var/: a copy of the migrated template, or none yet (empty)."""
    var.mkdir(mode=0o700, exist_ok=True)
    database = var / "ketacare.sqlite3"
    if template:
        database.write_bytes(template.read_bytes())
    return Target(f"sqlite:///{database}", var)


@contextmanager
def scratch_databases(server: str, n: int) -> Iterator[list[str]]:
    """n empty PostgreSQL databases on the test server, dropped afterwards."""
    base = server.rsplit("/", 1)[0]
    names = [f"ketacare_scratch_{uuid.uuid4().hex[:12]}" for _ in range(n)]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield [f"{base}/{name}" for name in names]
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
