"""Streaming encryption for backups: AES-256-GCM in 1 MiB chunks (pure, no Django).

The key comes from KETACARE_BACKUP_KEY, a passphrase, through scrypt with a random salt
kept in the header. Each chunk is authenticated together with the header, its index and
whether it is the last, so a changed, reordered, dropped or truncated chunk fails to
decrypt instead of restoring something else.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"KETACARE-BACKUP-AESGCM-1\n"
CHUNK = 1 << 20
SALT_BYTES, PREFIX_BYTES = 16, 8
Progress = Callable[[int], object]


class DecryptionFailed(ValueError):
    pass


def _key(passphrase: str, salt: bytes) -> AESGCM:
    kdf = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1)
    return AESGCM(kdf.derive(passphrase.encode()))


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">Q?", index, final)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def encrypt(source: BinaryIO, target: BinaryIO, passphrase: str, progress: Progress) -> None:
    salt, prefix = os.urandom(SALT_BYTES), os.urandom(PREFIX_BYTES)
    header = MAGIC + salt + prefix
    cipher = _key(passphrase, salt)
    target.write(header)
    index, chunk = 0, source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        final = not following
        sealed = cipher.encrypt(_nonce(prefix, index), chunk, _aad(header, index, final))
        target.write(struct.pack(">I", len(sealed)) + sealed)
        progress(len(chunk))
        if final:
            return
        index, chunk = index + 1, following


def decrypt(source: BinaryIO, target: BinaryIO, passphrase: str, progress: Progress) -> None:
    header = source.read(len(MAGIC) + SALT_BYTES + PREFIX_BYTES)
    if not header.startswith(MAGIC):
        raise DecryptionFailed("not an encrypted KetaCare backup")
    salt = header[len(MAGIC) : len(MAGIC) + SALT_BYTES]
    prefix = header[len(MAGIC) + SALT_BYTES :]
    cipher = _key(passphrase, salt)
    index, sealed = 0, _read_chunk(source)
    if sealed is None:
        raise DecryptionFailed("the backup has no content after its header (cut short)")
    while sealed is not None:
        following = _read_chunk(source)
        try:
            plain = cipher.decrypt(
                _nonce(prefix, index), sealed, _aad(header, index, following is None)
            )
        except InvalidTag as exc:
            raise DecryptionFailed(
                f"chunk {index} does not decrypt: wrong KETACARE_BACKUP_KEY, or the file "
                "was changed or cut short"
            ) from exc
        target.write(plain)
        progress(len(plain))
        index, sealed = index + 1, following


def _read_chunk(source: BinaryIO) -> bytes | None:
    size = source.read(4)
    if not size:
        return None
    (length,) = struct.unpack(">I", size)
    return source.read(length)
