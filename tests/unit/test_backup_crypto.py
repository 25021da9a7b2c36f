"""Backup encryption: what goes in comes out with the right key, and a wrong key, a
changed byte, a dropped chunk or a cut-short file is refused instead of restored."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketacare.common import backup_crypto
from ketacare.common.backup_crypto import DecryptionFailed

KEY = "correct horse battery staple"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_crypto, "CHUNK", 64)  # many chunks from little data


def seal(data: bytes, key: str = KEY) -> bytes:
    out = io.BytesIO()
    backup_crypto.encrypt(io.BytesIO(data), out, key, lambda n: None)
    return out.getvalue()


def unseal(data: bytes, key: str = KEY) -> bytes:
    out = io.BytesIO()
    backup_crypto.decrypt(io.BytesIO(data), out, key, lambda n: None)
    return out.getvalue()


def chunk_starts(sealed: bytes) -> list[int]:
    """Offsets of each chunk's length prefix."""
    offset = len(backup_crypto.MAGIC) + backup_crypto.SALT_BYTES + backup_crypto.PREFIX_BYTES
    starts = []
    while offset < len(sealed):
        starts.append(offset)
        offset += 4 + int.from_bytes(sealed[offset : offset + 4], "big")
    return starts


@settings(max_examples=10)  # scrypt makes each example cost ~0.1 s
@given(st.binary(max_size=300))
def test_what_is_sealed_comes_back(data: bytes) -> None:
    assert unseal(seal(data)) == data


def test_the_same_data_seals_differently_each_time() -> None:
    assert seal(b"x" * 100) != seal(b"x" * 100)


def test_a_wrong_key_is_refused() -> None:
    with pytest.raises(DecryptionFailed, match="wrong KETACARE_BACKUP_KEY"):
        unseal(seal(b"x" * 100), key="a guess")


def test_a_changed_byte_is_refused() -> None:
    sealed = bytearray(seal(os.urandom(200)))
    sealed[-5] ^= 1
    with pytest.raises(DecryptionFailed, match="chunk 3"):
        unseal(bytes(sealed))


def test_a_file_cut_at_a_chunk_boundary_is_refused() -> None:
    sealed = seal(os.urandom(200))  # 64 + 64 + 64 + 8 bytes: four chunks
    starts = chunk_starts(sealed)
    assert len(starts) == 4
    with pytest.raises(DecryptionFailed, match="chunk 2"):
        unseal(sealed[: starts[3]])
    with pytest.raises(DecryptionFailed, match="cut short"):
        unseal(sealed[: starts[0]])


def test_reordered_chunks_are_refused() -> None:
    sealed = seal(os.urandom(150))  # 64 + 64 + 22 bytes: three chunks
    first, second, last = chunk_starts(sealed)
    swapped = sealed[:first] + sealed[second:last] + sealed[first:second] + sealed[last:]
    with pytest.raises(DecryptionFailed, match="chunk 0"):
        unseal(swapped)


def test_a_plain_archive_is_not_taken_for_an_encrypted_one() -> None:
    with pytest.raises(DecryptionFailed, match="not an encrypted KetaCare backup"):
        unseal(b"\x1f\x8b" + b"0" * 100)
