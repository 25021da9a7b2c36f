"""Anchors: the audit chain's heads, sealed outside the table they protect.

Anyone who can write to the database can rewrite the hash chain from the first event
and move the chain head to match, or delete the tail together with the head. An anchor
is an HMAC-SHA256 over a chain head (clinic, sequence, head hash, event count) keyed by
KETACARE_AUDIT_ANCHOR_KEY, which never enters the database, appended as one JSON line
to KETACARE_AUDIT_ANCHOR_FILE. Without the key nobody can forge an anchor, so
`audit-verify` finds events erased, truncated or re-hashed up to the latest anchor.

Each committed audit write appends an anchor (after commit, so a rolled-back write is
never anchored): about 0.1 ms, a few per cent of a chart write (benchmarks/audit_write.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ketacare.audit import chain

log = logging.getLogger("ketacare.audit")


@dataclass(frozen=True)
class Anchor:
    clinic_id: int
    sequence: int
    head_hash: str
    count: int
    anchored_at: str

    def fields(self) -> dict[str, object]:
        # Not dataclasses.asdict, which deep-copies: this runs on every committed write.
        return {
            "clinic_id": self.clinic_id,
            "sequence": self.sequence,
            "head_hash": self.head_hash,
            "count": self.count,
            "anchored_at": self.anchored_at,
        }


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


def _key() -> bytes:
    return str(settings.KETACARE_AUDIT_ANCHOR_KEY).encode()


def seal(anchor: Anchor, key: bytes | None = None) -> str:
    return _mac(anchor.fields(), key or _key())


def _mac(fields: dict[str, object], key: bytes) -> str:
    return hmac.new(key, chain.canonical(fields), hashlib.sha256).hexdigest()


def _line(anchor: Anchor, key: bytes) -> str:
    fields = anchor.fields()
    return json.dumps(fields | {"mac": _mac(fields, key)}, sort_keys=True) + "\n"


def anchor_path() -> Path:
    return Path(settings.KETACARE_AUDIT_ANCHOR_FILE)


def append(anchors: Iterable[Anchor], path: Path | None = None) -> None:
    """Append sealed anchors under an exclusive lock (gunicorn workers share the file)."""
    target = path or anchor_path()
    key = _key()
    data = "".join(_line(a, key) for a in anchors).encode()
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    try:
        fd = os.open(target, flags, 0o600)
    except FileNotFoundError:  # the folder is made on first use, not checked every write
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, flags, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, data)
    finally:
        os.close(fd)  # closing releases the lock


def append_after_commit(*anchors: Anchor) -> None:
    """The on_commit hook: the write has committed, so a failure here must not turn it
    into an error page. It is logged, and audit-verify reports the unanchored events."""
    try:
        append(anchors)
    except OSError:
        log.exception("Could not append the audit anchor to %s", anchor_path())


def anchor_head(clinic_id: int, sequence: int, head_hash: str) -> Anchor:
    # The chain is gap-free from 1, so the count equals the sequence; it is sealed
    # separately so an anchor reads on its own ("clinic 3 had 120 events").
    return Anchor(
        clinic_id=clinic_id,
        sequence=sequence,
        head_hash=head_hash,
        count=sequence,
        anchored_at=timezone.now().isoformat(),
    )


def read(path: Path | None = None) -> tuple[list[Anchor], list[BadLine]]:
    """Every well-formed anchor with a valid seal, and the lines that are not."""
    source = path or anchor_path()
    if not source.exists():
        return [], []
    good: list[Anchor] = []
    bad: list[BadLine] = []
    key = _key()
    with source.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            anchor, reason = _parse(line, key)
            if anchor is not None:
                good.append(anchor)
            elif reason:
                bad.append(BadLine(number, reason))
    return good, bad


def _parse(line: str, key: bytes) -> tuple[Anchor | None, str]:
    if not line.strip():
        return None, ""
    try:
        record = json.loads(line)
        mac = record.pop("mac")
        anchor = Anchor(**record)
    except (ValueError, TypeError, KeyError):
        return None, "not a well-formed anchor"
    if not hmac.compare_digest(mac, seal(anchor, key)):
        return None, "its seal does not match (forged, or sealed with another key)"
    return anchor, ""


def by_clinic(anchors: Iterable[Anchor]) -> dict[int, dict[int, str]]:
    """{clinic_id: {sequence: head hash}}."""
    table: dict[int, dict[int, str]] = defaultdict(dict)
    for anchor in anchors:
        table[anchor.clinic_id][anchor.sequence] = anchor.head_hash
    return dict(table)


def conflicting(anchors: Iterable[Anchor]) -> Iterator[Anchor]:
    """Anchors that seal a different hash for a sequence already sealed."""
    seen: dict[tuple[int, int], str] = {}
    for anchor in anchors:
        key = (anchor.clinic_id, anchor.sequence)
        if seen.setdefault(key, anchor.head_hash) != anchor.head_hash:
            yield anchor


def latest(anchors: Iterable[Anchor]) -> list[Anchor]:
    """The highest anchor of each clinic, by clinic."""
    best: dict[int, Anchor] = {}
    for anchor in anchors:
        if anchor.clinic_id not in best or anchor.sequence > best[anchor.clinic_id].sequence:
            best[anchor.clinic_id] = anchor
    return [best[c] for c in sorted(best)]
