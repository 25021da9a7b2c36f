from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ketacare.demo.outcomes_seed import COHORT_SIZE
from ketacare.demo.seed import DEMO_PASSWORD, account_table, seed_demo


class Command(BaseCommand):
    help = "Migrate, seed the demo clinics, print the demo accounts and serve."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Set up and seed only.")
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument(
            "--outcome-cohort",
            type=int,
            default=COHORT_SIZE,
            help=f"Patients in the outcome cohort (default {COHORT_SIZE}); fewer seed faster.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Links sent to patients (and those the seed queues) point at this server; the
        # worker and the web server, separate processes, read it from the environment.
        if not os.environ.get("KETACARE_PUBLIC_URL"):
            os.environ["KETACARE_PUBLIC_URL"] = f"http://127.0.0.1:{options['port']}"
            settings.KETACARE_PUBLIC_URL = os.environ["KETACARE_PUBLIC_URL"]
        # The demo's phone numbers are UK numbers reserved for drama (Ofcom: 07700 900xxx),
        # written without the country code.
        if not os.environ.get("KETACARE_SMS_DEFAULT_REGION"):
            os.environ["KETACARE_SMS_DEFAULT_REGION"] = "GB"
            settings.KETACARE_SMS_DEFAULT_REGION = "GB"
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        seeded = seed_demo(
            progress=lambda msg: self.stdout.write(f"  {msg}…"),
            outcome_cohort=options["outcome_cohort"],
        )
        self.stdout.write("Demo clinics seeded." if seeded else "Demo clinics already seeded.")
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for username, description in account_table():
            self.stdout.write(f"  {username:<18} {description}")
        if options["no_serve"]:
            return
        port = options["port"]
        # Served as in production: gunicorn (`ketacare serve`) beside the background
        # worker, which sends links and reminders and escalates ignored alerts.
        ketacare = [sys.executable, "-m", "ketacare.cli"]
        # Debug mode serves static files from the sources: nothing to collect.
        serve = ["serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-collectstatic"]
        children = [
            subprocess.Popen([*ketacare, "worker", "--verbosity", "0"]),  # noqa: S603
            subprocess.Popen([*ketacare, *serve]),  # noqa: S603
        ]
        self.stdout.write(self.style.SUCCESS(f"\nKetaCare demo: http://127.0.0.1:{port}/\n"))
        self.stdout.write("Stop it with Ctrl-C.\n")
        # Ctrl-C (SIGINT to the terminal's whole process group) and SIGTERM (`kill`, a
        # container stop) end the demo; the `finally` below stops the web server and the
        # worker instead of leaving them.
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda _signum, _frame: stopping.set())
        try:
            while not stopping.wait(0.5):
                if any(child.poll() is not None for child in children):
                    # Ctrl-C reaches the children too, and one may stop before this
                    # process has handled its own signal: give that a moment.
                    if stopping.wait(2):
                        break
                    raise CommandError("The web server or the worker stopped; the demo stops too.")
            self.stdout.write("\nStopping the demo…")
        finally:
            _stop(children)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Ask each child to stop (SIGTERM), wait for it, and kill one that does not."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
