"""Production mode refuses to start without the variables it needs, naming each one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketacare.common.startup import production_problems
from tests.cli.targets import run

COMPLETE = {
    "KETACARE_SECRET_KEY": "s" * 50,
    "KETACARE_ALLOWED_HOSTS": "care.example.org",
    "KETACARE_PUBLIC_URL": "https://care.example.org",
}


def test_a_complete_environment_has_no_problems() -> None:
    assert production_problems(COMPLETE, dev_audit_key=False) == []


def test_a_secret_key_file_counts_as_the_secret_key() -> None:
    env = COMPLETE | {"KETACARE_SECRET_KEY": "", "KETACARE_SECRET_KEY_FILE": "/run/secrets/k"}
    assert production_problems(env, dev_audit_key=False) == []


@pytest.mark.parametrize("name", sorted(COMPLETE))
def test_each_missing_variable_is_named(name: str) -> None:
    env = {k: v for k, v in COMPLETE.items() if k != name}
    (problem,) = production_problems(env, dev_audit_key=False)
    assert problem.startswith(name)
    assert "is required when KETACARE_ENV=production" in problem


def test_a_blank_variable_counts_as_missing() -> None:
    env = COMPLETE | {"KETACARE_ALLOWED_HOSTS": "  "}
    (problem,) = production_problems(env, dev_audit_key=False)
    assert problem.startswith("KETACARE_ALLOWED_HOSTS")


@pytest.mark.parametrize("url", ["care.example.org", "ftp://care.example.org", "https://"])
def test_the_public_url_must_be_absolute(url: str) -> None:
    (problem,) = production_problems(COMPLETE | {"KETACARE_PUBLIC_URL": url}, dev_audit_key=False)
    assert problem.startswith("KETACARE_PUBLIC_URL must be an absolute http(s) URL")


def test_every_problem_is_listed_at_once() -> None:
    problems = production_problems({}, dev_audit_key=True)
    assert [p.split()[0] for p in problems] == [
        "KETACARE_SECRET_KEY",
        "KETACARE_ALLOWED_HOSTS",
        "KETACARE_PUBLIC_URL",
        "KETACARE_AUDIT_ANCHOR_KEY",
    ]


def test_production_start_up_fails_naming_the_missing_public_url(tmp_path: Path) -> None:
    """The real start-up, in its own process: `ketacare check` in production mode."""
    env = COMPLETE | {"KETACARE_ENV": "production", "KETACARE_AUDIT_ANCHOR_KEY": "a" * 40}
    del env["KETACARE_PUBLIC_URL"]
    result = run(["check"], tmp_path, **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: KETACARE_PUBLIC_URL is required" in result.stderr
    assert "KETACARE_SECRET_KEY" not in result.stderr


def test_production_start_up_succeeds_with_every_variable(tmp_path: Path) -> None:
    env = COMPLETE | {"KETACARE_ENV": "production", "KETACARE_AUDIT_ANCHOR_KEY": "a" * 40}
    result = run(["check"], tmp_path, **env)

    assert result.returncode == 0, result.stderr
