from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketacare.accounts.models import Clinic
from ketacare.audit import anchors
from ketacare.audit.models import AuditChainHead
from ketacare.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Seal every clinic's current chain head in the anchor file: for events written "
        "just before a crash, or (with --adopt) once after upgrading to anchored trails. "
        "Each chain is verified first; nothing is sealed if one is broken."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--adopt",
            action="store_true",
            help="Also seal chains that have no anchor yet (checked link by link only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        table = anchors.by_clinic(anchors.read()[0])
        heads = list(AuditChainHead.objects.filter(sequence__gt=0).order_by("clinic_id"))
        for head in heads:
            clinic = Clinic.objects.get(pk=head.clinic_id)
            anchored = table.get(clinic.pk)
            if anchored is None and not options["adopt"]:
                raise CommandError(
                    f"Clinic {clinic.slug} has no anchor yet: check its trail, then run "
                    "with --adopt."
                )
            broken = audit_chain_verify(clinic=clinic, anchored=anchored).broken
            if broken:
                raise CommandError(
                    f"Clinic {clinic.slug}: sequence {broken.sequence}: {broken.reason}. "
                    "Nothing was sealed."
                )
        anchors.append([anchors.anchor_head(h.clinic_id, h.sequence, h.last_hash) for h in heads])
        self.stdout.write(f"Sealed {len(heads)} chain head(s) in {anchors.anchor_path()}.")
