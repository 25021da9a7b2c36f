"""SMS delivery through a provider interface. KetaCare ships a console and a file
backend (the demo and tests use them; neither touches the network). A deployment plugs
its provider in with KETACARE_SMS_BACKEND = "dotted.path.ToClass"."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


class ConsoleSmsBackend:
    def send(self, *, to: str, body: str) -> None:
        sys.stdout.write(f"[SMS to {to}] {body}\n")


class FileSmsBackend:
    """Appends each message as one JSON line to KETACARE_SMS_FILE_PATH."""

    def send(self, *, to: str, body: str) -> None:
        path = Path(settings.KETACARE_SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {"to": to, "body": body, "at": dt.datetime.now(dt.UTC).isoformat()}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.KETACARE_SMS_BACKEND)()
    return backend
