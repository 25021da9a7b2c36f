from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.targets import sqlite_target


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test process: migrating is the slow part."""
    target = sqlite_target(tmp_path_factory.mktemp("template"))
    result = target.ketacare("migrate", "-v0")
    assert result.returncode == 0, result.stderr
    return target.var / "ketacare.sqlite3"
