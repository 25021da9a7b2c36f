from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ketacare.accounts.models import Clinic
from ketacare.audit import anchors
from ketacare.audit.models import AuditEvent
from ketacare.audit.selectors import ClinicChainResult, audit_chain_verify


class Command(BaseCommand):
    help = (
        "Verify every clinic's audit hash chain against the anchors sealed outside the "
        "database, and name the first broken link."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", help="Only this clinic (slug).")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument(
            "--anchors",
            type=Path,
            help="Anchor file to check against (default: KETACARE_AUDIT_ANCHOR_FILE), "
            "e.g. a copy exported to another machine.",
        )
        parser.add_argument(
            "--export-anchors",
            type=Path,
            metavar="FILE",
            help="After a clean verification, write each clinic's latest anchor to FILE "
            "(to keep a copy off this machine).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("pk")
        if options["clinic"]:
            clinics = clinics.filter(slug=options["clinic"])
            if not clinics.exists():
                raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        sealed, bad_lines = anchors.read(options["anchors"])
        failures = self._anchor_file_problems(sealed, bad_lines, options["clinic"])
        table = anchors.by_clinic(sealed)
        total = AuditEvent.objects.filter(clinic__in=clinics).count()
        with tqdm(
            total=total,
            unit="event",
            desc="Verifying audit trail",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:
            for clinic in clinics:
                result = audit_chain_verify(
                    clinic=clinic, on_event=lambda: bar.update(1), anchored=table.get(clinic.pk, {})
                )
                failures += self._report(result)
        if failures:
            raise CommandError(f"Audit chain broken in {failures} place(s).")
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {total} events verified."))
        if options["export_anchors"]:
            anchors.append(anchors.latest(sealed), options["export_anchors"])
            self.stdout.write(f"Latest anchors written to {options['export_anchors']}.")

    def _report(self, result: ClinicChainResult) -> int:
        slug = result.clinic.slug
        if link := result.broken:
            row = f"event id={link.event_id}" if link.event_id else "chain head"
            self.stderr.write(
                f"BROKEN  clinic {slug}: {row} (sequence {link.sequence}): {link.reason}"
            )
            return 1
        self.stdout.write(f"OK      clinic {slug}: {result.events} events")
        if result.unanchored:
            self.stdout.write(
                f"NOTE    clinic {slug}: the last {result.unanchored} event(s) are not anchored "
                "yet (written just before a stop?); `ketacare audit-anchor` seals them."
            )
        return 0

    def _anchor_file_problems(
        self, sealed: list[anchors.Anchor], bad_lines: list[anchors.BadLine], slug: str | None
    ) -> int:
        problems = 0
        for bad in bad_lines:
            self.stderr.write(f"BROKEN  anchor file line {bad.line}: {bad.reason}")
            problems += 1
        for anchor in anchors.conflicting(sealed):
            self.stderr.write(
                f"BROKEN  anchors disagree on clinic id={anchor.clinic_id} sequence "
                f"{anchor.sequence}: two different hashes were sealed"
            )
            problems += 1
        if not slug:
            known = set(Clinic.objects.values_list("pk", flat=True))
            for anchor in anchors.latest(sealed):
                if anchor.clinic_id not in known:
                    self.stderr.write(
                        f"BROKEN  clinic id={anchor.clinic_id} is gone: an anchor seals "
                        f"{anchor.count} of its events (sequence 1 is missing)"
                    )
                    problems += 1
        return problems
