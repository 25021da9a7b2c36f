from __future__ import annotations

import os
from typing import Any

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from ketacare.common.dbroles import grant_app_role


class Command(BaseCommand):
    help = (
        "PostgreSQL: create the app role named in KETACARE_DATABASE_URL and grant it row "
        "access only (audit events: read and append). Runs as the owner in "
        "KETACARE_MIGRATION_DATABASE_URL; `ketacare migrate` runs it after migrating."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        app_url = os.environ.get("KETACARE_APP_DATABASE_URL", "")
        if connection.vendor != "postgresql" or not app_url:
            raise CommandError(
                "Needs PostgreSQL and both KETACARE_DATABASE_URL (the app role) and "
                "KETACARE_MIGRATION_DATABASE_URL (the owner); run it as `ketacare db-roles`."
            )
        app = dj_database_url.parse(app_url)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                grant_app_role(cursor, app["USER"], app.get("PASSWORD") or None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"App role {app['USER']!r}: row access granted, audit append-only.")
