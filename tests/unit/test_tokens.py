"""ketacare.accounts.tokens: token format, parsing and hashing (pure)."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.accounts import tokens
from ketacare.accounts.tokens import TokenParts


def test_generate_makes_a_kc_prefix_secret_token() -> None:
    parts = tokens.generate()
    assert re.fullmatch(r"[0-9a-f]{10}", parts.prefix)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", parts.secret)  # 32 random bytes, base64url
    assert parts.raw == f"kc_{parts.prefix}_{parts.secret}"


def test_generate_is_random() -> None:
    made = [tokens.generate() for _ in range(50)]
    assert len({p.prefix for p in made}) == 50
    assert len({p.secret for p in made}) == 50


def test_parse_reverses_raw_even_when_the_secret_has_underscores() -> None:
    parts = TokenParts(prefix="abc123", secret="se_cr_et-")
    assert tokens.parse(parts.raw) == parts


def test_parse_ignores_surrounding_whitespace() -> None:
    assert tokens.parse("  kc_ab_cd\n") == TokenParts("ab", "cd")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "kc",
        "kc_",
        "kc__secret",
        "kc_prefix_",
        "kc_prefix",
        "xx_prefix_secret",
        "KC_prefix_secret",
        "Bearer kc_prefix_secret",
        "prefix_secret",
    ],
)
def test_parse_rejects_malformed_tokens(raw: str) -> None:
    assert tokens.parse(raw) is None


@given(st.integers(min_value=0, max_value=100))
def test_every_generated_token_parses_back(_: int) -> None:
    parts = tokens.generate()
    assert tokens.parse(parts.raw) == parts


@given(
    prefix=st.text(alphabet="0123456789abcdef", min_size=1, max_size=12),
    secret=st.text(alphabet="abcXYZ0189_-", min_size=1, max_size=60),
)
def test_parse_round_trips_any_prefix_and_secret(prefix: str, secret: str) -> None:
    assert tokens.parse(TokenParts(prefix, secret).raw) == TokenParts(prefix, secret)


def test_hash_secret_is_hex_sha256() -> None:
    assert tokens.hash_secret("s3cret") == hashlib.sha256(b"s3cret").hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", tokens.hash_secret("s3cret"))


def test_matches_only_the_right_secret() -> None:
    stored = tokens.hash_secret("right")
    assert tokens.matches("right", stored)
    assert not tokens.matches("wrong", stored)
    assert not tokens.matches("right ", stored)
    assert not tokens.matches("", stored)


@given(st.text(max_size=50), st.text(max_size=50))
def test_matches_agrees_with_equality(a: str, b: str) -> None:
    assert tokens.matches(a, tokens.hash_secret(b)) == (a == b)
