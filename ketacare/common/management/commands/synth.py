from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ketacare.demo.synth import SYNTH_PASSWORD, AlreadySynthesised, Volumes, synthesise

DEFAULTS = Volumes()


class Command(BaseCommand):
    help = (
        "Fill a clinic (made if missing) with synthetic patients, sessions, vital readings, "
        "scored questionnaires and their audit trail, in bulk, for scale tests "
        "(docs/benchmarks.md, 'The synthetic clinic')."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", required=True, help="Clinic slug (made if missing).")
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1, help="The same seed, the same data.")
        parser.add_argument(
            "--sessions",
            type=int,
            default=DEFAULTS.sessions,
            help=f"Sessions booked per patient, on average (default {DEFAULTS.sessions}).",
        )
        parser.add_argument(
            "--readings",
            type=int,
            default=DEFAULTS.readings,
            help=f"Vital readings per given session, on average (default {DEFAULTS.readings}).",
        )
        parser.add_argument(
            "--responses",
            type=int,
            default=DEFAULTS.responses,
            help=f"Questionnaire responses per patient, on average (default {DEFAULTS.responses}).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["patients"] < 0:
            raise CommandError("--patients must be 0 or more.")
        volumes = Volumes(
            sessions=max(0, options["sessions"]),
            readings=max(0, options["readings"]),
            responses=max(0, options["responses"]),
        )
        bar_options = {"disable": options["no_progress"], "file": self.stderr._out}
        with (
            tqdm(total=options["patients"], unit="patient", desc="Writing", **bar_options) as bar,
            tqdm(unit="patient", desc="Course outcomes", **bar_options) as rebuild,
        ):

            def rebuilt(done: int, total: int) -> None:
                rebuild.total = total
                rebuild.update(done - rebuild.n)

            try:
                outcome = synthesise(
                    slug=options["clinic"],
                    patients=options["patients"],
                    seed=options["seed"],
                    volumes=volumes,
                    progress=bar.update,
                    rebuild_progress=rebuilt,
                )
            except AlreadySynthesised as exc:
                raise CommandError(str(exc)) from exc
        for label, count in outcome.counts.items():
            self.stdout.write(f"  {label:<34} {count:>10,}")
        staff = outcome.staff
        self.stdout.write(
            self.style.SUCCESS(f"Clinic {outcome.clinic.slug} filled.")
            + f" Staff: {staff.admin.username}, {staff.prescriber.username}, "
            f"{staff.nurse.username} (password {SYNTH_PASSWORD!r} for accounts synth made)."
        )
