"""kill -9 under concurrent writes: every write the app acknowledged is there after the
restart, and audit-verify passes. Three threads write weight readings through the
services; each id is printed only once its service call has returned (committed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.targets import WORKLOAD, Target, scratch_databases, sqlite_target

# Writes that survive kill -9 read no calendar: not run again under a shifted clock.
pytestmark = pytest.mark.clock_free

ACKNOWLEDGED = 60  # writes to see acknowledged before the kill
THREADS = 3


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.own_sqlite), "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path, migrated: Path) -> Iterator[Target]:
    if request.param == "sqlite":
        yield sqlite_target(tmp_path, migrated)
        return
    server = os.environ.get("KETACARE_TEST_DATABASE_URL")
    if not server:
        pytest.skip("set KETACARE_TEST_DATABASE_URL to run the PostgreSQL case")
    with scratch_databases(server, 1) as (url,):
        migrated_pg = Target(url, tmp_path)
        assert migrated_pg.ketacare("migrate", "-v0").returncode == 0
        yield migrated_pg


def acknowledged_then_killed(target: Target) -> list[str]:
    writer = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*WORKLOAD, "write", str(THREADS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=target.env(),
    )
    assert writer.stdout is not None
    ids: list[str] = []
    try:
        while len(ids) < ACKNOWLEDGED:
            line = writer.stdout.readline()
            if not line:  # the writer died by itself
                pytest.fail(f"the writer stopped: {writer.stderr.read() if writer.stderr else ''}")
            ids.append(line.strip())
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        rest, _ = writer.communicate(timeout=60)
    # Lines printed before the kill are acknowledged too; a half-written one is not.
    ids += [line for line in rest.split("\n")[:-1] if line]
    assert writer.returncode == -signal.SIGKILL
    return ids


def test_every_acknowledged_write_survives_kill_9(target: Target) -> None:
    ids = acknowledged_then_killed(target)

    missing = json.loads(target.workload("present", stdin="\n".join(ids)))
    verified = target.ketacare("audit-verify", "--no-progress")

    assert len(ids) >= ACKNOWLEDGED
    assert missing == []
    assert verified.returncode == 0, verified.stderr
    assert "Audit trail intact" in verified.stdout
