from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ketacare.common.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup into an EMPTY database: check its checksum, decrypt, load it, "
        "put its audit anchors in place, then run audit-verify. Stop the app first."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", type=Path, help="The backup archive (with its manifest).")
        parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = restore(
                archive=options["archive"],
                key=settings.KETACARE_BACKUP_KEY,
                progress=not options["no_progress"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the {restored.vendor} database from {options['archive']}.")
        if restored.anchors_moved_to:
            self.stdout.write(
                f"The anchor file found there was kept as {restored.anchors_moved_to}."
            )
        if os.environ.get("KETACARE_APP_DATABASE_URL"):
            call_command("db_roles", stdout=self.stdout)  # as the owner: grant the app role
        call_command("audit_verify", "--no-progress", stdout=self.stdout, stderr=self.stderr)
