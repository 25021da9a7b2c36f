from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ketacare.common.accesslog import ACCESS_LOG_FORMAT


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
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Serve the static files already collected (the container image collects "
            "them at build time; compressing them takes a while).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        # /metrics adds up the latencies of every gunicorn process (prometheus-client's
        # multiprocess mode), in a directory of this server's own, emptied at each start.
        metrics_dir = Path(
            os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(settings.VAR_DIR) / "prometheus"
        )
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        argv = [
            "gunicorn",
            "ketacare.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--access-logfile",
            "-",
            # Log the route, never the URL: paths and queries can carry patient data.
            "--logger-class",
            "ketacare.common.accesslog.RouteLogger",
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "--config",
            "python:ketacare.operations.gunicorn_conf",
            "--forwarded-allow-ips",
            os.environ.get("KETACARE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606
