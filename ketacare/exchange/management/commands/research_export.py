from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketacare.accounts.models import Clinic
from ketacare.exchange.research import research_export_command


class Command(BaseCommand):
    help = (
        "Write a de-identified research extract of one clinic (consented patients only; "
        "HIPAA Safe Harbor; k-anonymous age band, sex and site) as CSV and Parquet files "
        "with a data dictionary. The export is audited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--out", required=True, type=Path, help="Directory to write to.")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        export = research_export_command(clinic=clinic, today=clinic.today())
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        for name, content in export.files.items():
            (out / name).write_bytes(content)
        self.stdout.write(
            f"{export.patients} patient(s) exported, {export.left_out} left out "
            f"(groups smaller than k={export.k}); files in {out}."
        )
