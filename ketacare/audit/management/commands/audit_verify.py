from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ketacare.accounts.models import Clinic
from ketacare.audit.models import AuditEvent
from ketacare.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify every clinic's audit hash chain and name the first broken link."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", help="Only this clinic (slug).")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("pk")
        if options["clinic"]:
            clinics = clinics.filter(slug=options["clinic"])
            if not clinics.exists():
                raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        total = AuditEvent.objects.filter(clinic__in=clinics).count()
        failures = []
        with tqdm(
            total=total,
            unit="event",
            desc="Verifying audit trail",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:
            for clinic in clinics:
                result = audit_chain_verify(clinic=clinic, on_event=lambda: bar.update(1))
                if result.broken:
                    failures.append(result)
                    link = result.broken
                    row = f"event id={link.event_id}" if link.event_id else "chain head"
                    self.stderr.write(
                        f"BROKEN  clinic {clinic.slug}: {row} (sequence {link.sequence}): "
                        f"{link.reason}"
                    )
                else:
                    self.stdout.write(f"OK      clinic {clinic.slug}: {result.events} events")
        if failures:
            raise CommandError(f"Audit chain broken in {len(failures)} clinic(s).")
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {total} events verified."))
