"""`ketacare healthz`: the /healthz checks from the command line (a container health
check for the worker, or a systemd/cron probe). Exit status 1 when one fails."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketacare.common import clock
from ketacare.operations.health import overall
from ketacare.operations.services import health_checks


class Command(BaseCommand):
    help = "Check the database, the migrations and the worker's heartbeat (exit 1 if failing)."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        checks = health_checks(now=clock.now())
        status, _code = overall(checks)
        self.stdout.write(
            json.dumps({"status": status, "checks": {c.name: c.detail for c in checks}})
        )
        if status != "ok":
            raise CommandError("; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok))
