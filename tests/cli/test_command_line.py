"""The `ketacare` console script, run as a newcomer would: separate processes,
a fresh SQLite file, no settings beyond the environment."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli.targets import KETACARE, run

# The commands' processes, secrets and signals read no calendar (the demo seeded at a
# shifted date is checked in-process, tests/demo); under libfaketime gunicorn's worker
# heartbeat, which compares file times, can time a worker out a second after it boots.
pytestmark = [pytest.mark.clock_free, pytest.mark.own_sqlite]  # each on its own SQLite


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var_dir = tmp_path_factory.mktemp("var")
    # The demo's content is checked in-process (tests/demo); here the command itself, with
    # a small outcome cohort so the separate process seeds faster.
    result = run(["demo", "--no-serve", "--outcome-cohort", "6"], var_dir)
    assert result.returncode == 0, result.stderr
    assert "dr.okafor" in result.stdout
    return var_dir


def test_demo_generates_a_private_secret_key_and_seeds(seeded: Path) -> None:
    key = seeded / "secret_key"
    assert key.exists()
    assert key.stat().st_mode & 0o777 == 0o600
    assert (seeded / "ketacare.sqlite3").exists()


def test_the_database_and_the_audit_anchors_are_private(seeded: Path) -> None:
    for name in ("ketacare.sqlite3", "audit-anchors.jsonl"):
        assert (seeded / name).stat().st_mode & 0o777 == 0o600, name


def test_demo_can_run_again(seeded: Path) -> None:
    again = run(["demo", "--no-serve"], seeded)

    assert again.returncode == 0, again.stderr
    assert "already seeded" in again.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run(["check"], tmp_path, KETACARE_ENV="production")

    assert result.returncode != 0
    assert "KETACARE_SECRET_KEY (or KETACARE_SECRET_KEY_FILE) is required" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_the_development_audit_anchor_key(tmp_path: Path) -> None:
    result = run(["check"], tmp_path, KETACARE_ENV="production", KETACARE_SECRET_KEY="k" * 50)

    assert result.returncode != 0
    assert "KETACARE_AUDIT_ANCHOR_KEY (or KETACARE_AUDIT_ANCHOR_KEY_FILE) is required" in (
        result.stderr
    )


def test_audit_verify_passes_then_names_a_tampered_row(seeded: Path, tmp_path: Path) -> None:
    clean = run(["audit-verify", "--no-progress"], seeded)
    assert clean.returncode == 0, clean.stderr
    assert "Audit trail intact" in clean.stdout

    copy = tmp_path / "tampered.sqlite3"
    copy.write_bytes((seeded / "ketacare.sqlite3").read_bytes())
    with sqlite3.connect(copy) as db:
        row_id, sequence = db.execute(
            "SELECT id, sequence FROM audit_auditevent WHERE action = 'create' "
            "AND object_type = 'bodymeasurement' ORDER BY id LIMIT 1 OFFSET 5"
        ).fetchone()
        db.execute(
            'UPDATE audit_auditevent SET changes = \'{"weight_kg": [null, "99.0"]}\' WHERE id = ?',
            (row_id,),
        )
    tampered = run(
        ["audit-verify", "--no-progress"], seeded, KETACARE_DATABASE_URL=f"sqlite:///{copy}"
    )

    assert tampered.returncode == 1
    assert f"event id={row_id} (sequence {sequence})" in tampered.stderr
    assert "does not match" in tampered.stderr


def test_demo_serves_through_gunicorn_with_the_worker_and_stops_on_ctrl_c(seeded: Path) -> None:
    """`ketacare demo` as a newcomer runs it (on the already seeded database): gunicorn
    answers, the worker beats, and Ctrl-C (SIGINT to the terminal's process group) stops
    every process of the demo."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KETACARE_")}
    environment |= {"KETACARE_VAR_DIR": str(seeded), "DJANGO_SETTINGS_MODULE": "ketacare.settings"}
    said = seeded / "demo-serve.log"  # what the demo said, shown if it stops early
    demo = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*KETACARE, "demo", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=said.open("wb"),
        start_new_session=True,  # its own process group, as in a terminal
    )
    group = os.getpgid(demo.pid)
    try:
        server = ""
        # Up to 5 minutes: on a loaded machine (CI's passes run beside each other) the
        # demo's migrate check, gunicorn's boot and its two workers take a while.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                    server = r.headers.get("Server", "")
                    break
            except OSError:
                assert demo.poll() is None, (
                    "the demo stopped before it served:\n"
                    + (said.read_text(errors="replace")[-3000:])
                )
                time.sleep(0.5)
        assert server.startswith("gunicorn"), said.read_text(errors="replace")[-3000:]
        with sqlite3.connect(seeded / "ketacare.sqlite3") as db:
            for _ in range(60):
                if db.execute("SELECT count(*) FROM operations_workerheartbeat").fetchone()[0]:
                    break
                time.sleep(0.5)
            else:
                raise AssertionError("the worker wrote no heartbeat")

        os.killpg(group, signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=60) == 0, said.read_text(errors="replace")[-3000:]
        for _ in range(60):  # the web server and the worker are gone too
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("a process of the demo is still running")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
