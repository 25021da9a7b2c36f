"""`ketacare backup` and `ketacare restore` round trips lose nothing, on SQLite and (with
KETACARE_TEST_DATABASE_URL) on PostgreSQL, and audit-verify passes on the restored copy.
Everything runs as separate processes, as an operator would run it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.targets import Target, scratch_databases, sqlite_target

KEY = "a backup passphrase for the tests"


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.own_sqlite), "postgresql"])
def databases(
    request: pytest.FixtureRequest, tmp_path: Path, migrated: Path
) -> Iterator[tuple[Target, Target]]:
    """A migrated source and an empty destination of the same kind."""
    if request.param == "sqlite":
        yield sqlite_target(tmp_path / "a", migrated), sqlite_target(tmp_path / "b")
        return
    server = os.environ.get("KETACARE_TEST_DATABASE_URL")
    if not server:
        pytest.skip("set KETACARE_TEST_DATABASE_URL to run the PostgreSQL round trip")
    with scratch_databases(server, 2) as (source, destination):
        pair = Target(source, tmp_path / "a"), Target(destination, tmp_path / "b")
        assert pair[0].ketacare("migrate", "-v0").returncode == 0
        yield pair


def test_a_backup_restores_into_an_empty_database_and_loses_nothing(
    databases: tuple[Target, Target],
) -> None:
    source, destination = databases
    source.workload("seed")
    before = json.loads(source.workload("digest"))

    made = source.ketacare("backup", "--no-progress", KETACARE_BACKUP_KEY=KEY)
    assert made.returncode == 0, made.stderr
    assert "(encrypted)" in made.stdout
    (archive,) = [p for p in (source.var / "backups").iterdir() if p.name.endswith(".enc")]
    manifest = json.loads(Path(f"{archive}.manifest.json").read_text())
    assert manifest["encrypted"] is True
    assert len(manifest["sha256"]) == 64
    assert archive.stat().st_mode & 0o777 == 0o600
    assert (source.var / "backups").stat().st_mode & 0o777 == 0o700

    restored = destination.ketacare(
        "restore", "--no-progress", str(archive), KETACARE_BACKUP_KEY=KEY
    )

    assert restored.returncode == 0, restored.stderr
    assert "Audit trail intact" in restored.stdout
    after = json.loads(destination.workload("digest"))
    assert {t: c for t, (c, _) in after.items()} == {t: c for t, (c, _) in before.items()}
    assert after == before
    assert before["patients_patient"][0] == 6
    assert before["audit_auditevent"][0] > 18
    anchors = destination.var / "audit-anchors.jsonl"
    assert anchors.read_bytes() == (source.var / "audit-anchors.jsonl").read_bytes()
    assert anchors.stat().st_mode & 0o777 == 0o600

    again = destination.ketacare("restore", "--no-progress", str(archive), KETACARE_BACKUP_KEY=KEY)
    assert again.returncode != 0
    assert "The database is not empty" in again.stderr


@pytest.mark.own_sqlite
def test_restore_refuses_an_archive_that_does_not_match_its_checksum(
    tmp_path: Path, migrated: Path
) -> None:
    source = sqlite_target(tmp_path / "a", migrated)
    assert source.ketacare("backup", "--no-progress", KETACARE_BACKUP_KEY=KEY).returncode == 0
    (archive,) = [p for p in (source.var / "backups").iterdir() if p.name.endswith(".enc")]
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 1
    archive.write_bytes(bytes(data))

    changed = sqlite_target(tmp_path / "b").ketacare(
        "restore", "--no-progress", str(archive), KETACARE_BACKUP_KEY=KEY
    )

    assert changed.returncode != 0
    assert "does not match its SHA-256 checksum" in changed.stderr
    assert not (tmp_path / "b" / "audit-anchors.jsonl").exists()


@pytest.mark.own_sqlite
def test_without_a_key_the_backup_says_it_is_not_encrypted_and_keep_prunes(
    tmp_path: Path, migrated: Path
) -> None:
    source = sqlite_target(tmp_path / "a", migrated)
    for _ in range(2):
        made = source.ketacare("backup", "--no-progress", "--keep", "1")
        assert made.returncode == 0, made.stderr
    assert "NOT encrypted (set KETACARE_BACKUP_KEY)" in made.stdout
    assert "Deleted old backup" in made.stdout
    names = sorted(p.name for p in (source.var / "backups").iterdir())
    assert len(names) == 2  # the newest archive and its manifest
