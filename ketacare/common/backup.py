"""`ketacare backup` and `ketacare restore`: a consistent online copy of the database and
the audit anchors, checksummed, encrypted where a key is set (docs/security.md).

A backup is one archive, `ketacare-<database>-<UTC time>.tar.gz` (`.enc` when encrypted),
holding the database (SQLite's online backup API, or `pg_dump --format=custom`), the
audit anchor file and `about.json`; next to it `<archive>.manifest.json` records its
SHA-256. The anchors are copied before the database, so every anchored event is in the
copy (events after the copy of the anchors are only "not anchored yet").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from tqdm import tqdm

from ketacare.audit import anchors
from ketacare.common import backup_crypto

DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ANCHORS_MEMBER, ABOUT_MEMBER = "audit-anchors.jsonl", "about.json"
MANIFEST_SUFFIX = ".manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


@dataclass(frozen=True)
class Restored:
    vendor: str
    anchors_moved_to: Path | None


# --- backup ----------------------------------------------------------------------------


def backup(*, output_dir: Path, key: str | None, progress: bool = False) -> Path:
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"ketacare-{vendor}-{stamp}.tar.gz" + (".enc" if key else "")
    with _workdir(output_dir) as work:
        anchor_copy = work / ANCHORS_MEMBER
        source = anchors.anchor_path()
        anchor_copy.write_bytes(source.read_bytes() if source.exists() else b"")
        database = work / DATABASE_MEMBER[vendor]
        _dump(vendor, database)
        about = {"format": 1, "database": vendor, "created_at": stamp}
        archive = work / "archive.tar.gz"
        with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
            tar.add(database, DATABASE_MEMBER[vendor])
            tar.add(anchor_copy, ANCHORS_MEMBER)
            info = tarfile.TarInfo(ABOUT_MEMBER)
            data = json.dumps(about).encode()
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        final = output_dir / name
        if key:
            with (
                archive.open("rb") as plain,
                final.open("wb") as sealed,
                _bar(archive.stat().st_size, "Encrypting", progress) as bar,
            ):
                backup_crypto.encrypt(plain, sealed, key, bar.update)
        else:
            archive.replace(final)
    manifest = about | {
        "file": name,
        "bytes": final.stat().st_size,
        "sha256": _sha256(final, progress),
        "encrypted": bool(key),
        "encryption": "AES-256-GCM, 1 MiB chunks, scrypt key" if key else None,
    }
    _manifest_path(final).write_text(json.dumps(manifest, indent=2) + "\n")
    return final


def _dump(vendor: str, target: Path) -> None:
    if vendor == "sqlite":
        source = sqlite3.connect(f"file:{settings.DATABASES['default']['NAME']}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            # One step: a read snapshot of the whole file; writers carry on under WAL.
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    _postgres("pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target))


def prune(output_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (and their manifests) in output_dir."""
    archives = sorted(output_dir.glob("ketacare-*.tar.gz*"), key=lambda p: p.name)
    archives = [a for a in archives if not a.name.endswith(MANIFEST_SUFFIX)]
    doomed = archives[:-keep] if keep > 0 else []
    for archive in doomed:
        archive.unlink()
        _manifest_path(archive).unlink(missing_ok=True)
    return doomed


# --- restore ---------------------------------------------------------------------------


def restore(*, archive: Path, key: str | None, progress: bool = False) -> Restored:
    manifest = _checked_manifest(archive, progress)
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(
            f"This is a {manifest['database']} backup; the configured database is {vendor}."
        )
    if tables := connection.introspection.table_names():
        raise BackupError(
            f"The database is not empty ({len(tables)} tables). Restore only into an empty "
            "database: create a new one and point KETACARE_DATABASE_URL at it."
        )
    with _workdir(archive.parent) as work:
        plain = work / "archive.tar.gz"
        if manifest["encrypted"]:
            if not key:
                raise BackupError("This backup is encrypted: set KETACARE_BACKUP_KEY.")
            with (
                archive.open("rb") as sealed,
                plain.open("wb") as out,
                _bar(manifest["bytes"], "Decrypting", progress) as bar,
            ):
                try:
                    backup_crypto.decrypt(sealed, out, key, bar.update)
                except backup_crypto.DecryptionFailed as exc:
                    raise BackupError(str(exc)) from exc
        else:
            shutil.copyfile(archive, plain)
        members = _extract(plain, work, [DATABASE_MEMBER[vendor], ANCHORS_MEMBER])
        _load(vendor, members[DATABASE_MEMBER[vendor]])
        moved = _place_anchors(members[ANCHORS_MEMBER])
    return Restored(vendor=vendor, anchors_moved_to=moved)


def _checked_manifest(archive: Path, progress: bool) -> dict[str, Any]:
    path = _manifest_path(archive)
    if not archive.exists() or not path.exists():
        raise BackupError(f"Need both {archive.name} and its manifest {path.name}.")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if _sha256(archive, progress) != manifest["sha256"]:
        raise BackupError(f"{archive.name} does not match its SHA-256 checksum: do not use it.")
    return manifest


def _extract(archive: Path, work: Path, names: list[str]) -> dict[str, Path]:
    """Only the members we know, written under our own names (no paths from the tar)."""
    found: dict[str, Path] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for name in names:
            member = tar.extractfile(name)
            if member is None:
                raise BackupError(f"The backup has no {name}.")
            target = work / f"restored-{name}"
            with target.open("wb") as out:
                shutil.copyfileobj(member, out)
            found[name] = target
    return found


def _load(vendor: str, dump: Path) -> None:
    if vendor == "sqlite":
        connection.close()
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    connection.close()
    _postgres(
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--dbname",
        str(settings.DATABASES["default"]["NAME"]),
        str(dump),
    )


def _place_anchors(restored: Path) -> Path | None:
    """The backup's anchors become the anchor file; one already there is kept aside."""
    target = anchors.anchor_path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    moved = None
    if target.exists() and target.stat().st_size:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        moved = target.with_name(f"{target.name}.before-restore-{stamp}")
        target.replace(moved)
    shutil.copyfile(restored, target)
    target.chmod(0o600)
    return moved


# --- helpers ---------------------------------------------------------------------------


def _postgres(program: str, *args: str) -> None:
    db = settings.DATABASES["default"]
    env = os.environ | {
        "PGHOST": str(db.get("HOST") or ""),
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": str(db.get("USER") or ""),
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
        "PGDATABASE": str(db["NAME"]),
    }
    result = subprocess.run(  # noqa: S603 - fixed programs, arguments from our settings
        [program, *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()[-2000:]}")


def _manifest_path(archive: Path) -> Path:
    return archive.with_name(archive.name + MANIFEST_SUFFIX)


def _sha256(path: Path, progress: bool) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file, _bar(path.stat().st_size, "Checksum", progress) as bar:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


@contextmanager
def _bar(total: int, label: str, shown: bool) -> Iterator[Any]:
    with tqdm(total=total, unit="B", unit_scale=True, desc=label, disable=not shown) as bar:
        yield bar


@contextmanager
def _workdir(near: Path) -> Iterator[Path]:
    """A private scratch directory on the same disk as the backups (0700, removed after)."""
    with tempfile.TemporaryDirectory(prefix=".ketacare-", dir=near) as work:
        yield Path(work)
