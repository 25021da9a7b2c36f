from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve KetaCare with gunicorn (production style). Run `ketacare migrate` first."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("KETACARE_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}"),
        )
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("KETACARE_WORKERS", "3"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        argv = [
            "gunicorn",
            "ketacare.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            os.environ.get("KETACARE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606
