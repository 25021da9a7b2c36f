from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ketacare.accounts.models import Clinic
from ketacare.outcomes.state import clinic_state_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every course's stored outcome state (verdicts, recommended next "
        "session, worklist flags, Kaplan-Meier durations) from the scores and sessions. "
        "Run it once after upgrading to the release that stores them."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", help="Only this clinic (slug).")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("pk")
        if options["clinic"]:
            clinics = clinics.filter(slug=options["clinic"])
            if not clinics.exists():
                raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        for clinic in clinics:
            with tqdm(
                unit="patient",
                desc=f"Outcomes of {clinic.slug}",
                disable=options["no_progress"],
                file=self.stderr._out,
            ) as bar:

                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                courses = clinic_state_rebuild(clinic, progress)
            self.stdout.write(f"OK      clinic {clinic.slug}: {courses} courses recomputed")
