from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from ketacare.accounts.models import Clinic
from ketacare.audit.services import Action, audit_record
from ketacare.exchange.services import write_directory, write_ndjson
from ketacare.exchange.sources import RESOURCE_TYPES


class Command(BaseCommand):
    help = (
        "Write one clinic's chart as FHIR R4 NDJSON: <ResourceType>.ndjson files in --out "
        "(the same resources as the Bulk Data $export). The export is audited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--out", required=True, type=Path, help="Directory to write to.")
        parser.add_argument("--type", help="Comma-separated resource types (default: all of them).")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        types = list(RESOURCE_TYPES)
        if options["type"]:
            types = [t.strip() for t in options["type"].split(",") if t.strip()]
            unknown = [t for t in types if t not in RESOURCE_TYPES]
            if unknown:
                raise CommandError(f"--type: not exported: {', '.join(unknown)}.")
        with tqdm(
            total=len(types),
            unit="type",
            desc="Exporting FHIR",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:

            def progress(resource_type: str, _: int) -> None:
                bar.set_postfix_str(resource_type)
                bar.update(1)

            output = write_ndjson(clinic, types, write_directory(options["out"]), progress=progress)
        with transaction.atomic():
            audit_record(
                actor=None,
                actor_label="command line",
                clinic=clinic,
                action=Action.EXPORT,
                object_type="fhir.export",
                details={
                    "state": "completed",
                    "output": [{"type": o["type"], "count": o["count"]} for o in output],
                },
            )
        for item in output:
            self.stdout.write(f"{item['count']:>7}  {item['path']}")
