from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketacare.accounts.models import Clinic
from ketacare.ledger.selectors import ledger_chain_verify


class Command(BaseCommand):
    help = (
        "Verify every clinic's controlled-substance ledger hash chain and name the first "
        "changed, deleted or reordered entry."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", help="Only this clinic (slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("pk")
        if options["clinic"]:
            clinics = clinics.filter(slug=options["clinic"])
            if not clinics.exists():
                raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        failures = total = 0
        for clinic in clinics:
            result = ledger_chain_verify(clinic=clinic)
            total += result.entries
            if link := result.broken:
                row = f"entry id={link.event_id}" if link.event_id else "chain head"
                self.stderr.write(
                    f"BROKEN  clinic {clinic.slug}: {row} (sequence {link.sequence}): {link.reason}"
                )
                failures += 1
            else:
                self.stdout.write(f"OK      clinic {clinic.slug}: {result.entries} entries")
        if failures:
            raise CommandError(f"Ledger chain broken in {failures} place(s).")
        self.stdout.write(self.style.SUCCESS(f"Ledger intact: {total} entries verified."))
