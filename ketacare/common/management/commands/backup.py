from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ketacare.common.backup import BackupError, backup, prune


class Command(BaseCommand):
    help = (
        "Back up the database (online and consistent) with the audit anchors into one "
        "checksummed archive, encrypted when KETACARE_BACKUP_KEY is set."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", type=Path, help="Directory (default: KETACARE_BACKUP_DIR).")
        parser.add_argument(
            "--keep", type=int, default=0, help="Then delete all but the newest N backups there."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"] or Path(settings.KETACARE_BACKUP_DIR)
        key = settings.KETACARE_BACKUP_KEY
        try:
            archive = backup(output_dir=output, key=key, progress=not options["no_progress"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        state = "encrypted" if key else "NOT encrypted (set KETACARE_BACKUP_KEY)"
        self.stdout.write(f"Backup written: {archive} ({state}); checksum in its manifest.")
        for old in prune(output, options["keep"]):
            self.stdout.write(f"Deleted old backup {old.name}")
