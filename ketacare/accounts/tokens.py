"""API token format and hashing (pure). Tokens look like kc_<prefix>_<secret>.

The secret has 256 bits of entropy, so a plain SHA-256 is a sound verifier
(no password stretching needed) and lookups by prefix stay O(1).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "kc"  # noqa: S105 - a public marker, not a secret


@dataclass(frozen=True)
class TokenParts:
    prefix: str
    secret: str

    @property
    def raw(self) -> str:
        return f"{TOKEN_PREFIX}_{self.prefix}_{self.secret}"


def generate() -> TokenParts:
    return TokenParts(prefix=secrets.token_hex(5), secret=secrets.token_urlsafe(32))


def parse(raw: str) -> TokenParts | None:
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return TokenParts(prefix=parts[1], secret=parts[2])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
