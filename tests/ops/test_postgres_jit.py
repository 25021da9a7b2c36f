"""PostgreSQL connections run without JIT compilation unless KETACARE_POSTGRES_JIT asks
for it (settings.py; docs/configuration.md)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_connection_runs_without_jit_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        # SQLite has no JIT and no such option: the setting must leave it alone.
        assert "options" not in settings.DATABASES["default"].get("OPTIONS", {})
        return
    assert settings.KETACARE_POSTGRES_JIT is False
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
