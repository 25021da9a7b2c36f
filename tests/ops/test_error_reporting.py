"""Optional Sentry error reports carry no patient data (ketacare/operations/error_reporting.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from ketacare.operations.error_reporting import REDACTED, init, scrub_event

PATIENT = "Ada Quill, born 1961-04-02, MRN RV-000123"


def test_scrub_keeps_the_fault_and_drops_every_place_patient_data_could_sit() -> None:
    event: dict[str, Any] = {
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": PATIENT,
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "ketacare/x.py",
                                "function": "f",
                                "lineno": 3,
                                "vars": {"p": PATIENT},
                            }
                        ]
                    },
                }
            ]
        },
        "threads": {"values": [{"stacktrace": {"frames": [{"vars": {"p": PATIENT}}]}}]},
        "request": {
            "method": "POST",
            "url": f"https://clinic.example/c/riverside/patients/?q={PATIENT}",
            "query_string": f"q={PATIENT}",
            "data": {"legal_family_name": PATIENT},
            "cookies": {"sessionid": "secret"},
            "headers": {"Cookie": "sessionid=secret"},
        },
        "logentry": {"message": f"Could not save {PATIENT}"},
        "user": {"username": "nurse.ames", "ip_address": "10.0.0.7"},
        "breadcrumbs": {"values": [{"message": PATIENT}]},
        "extra": {"patient": PATIENT},
        "server_name": "app-1",
        "transaction": "/c/{clinic_slug}/patients/",
    }
    scrubbed = scrub_event(event)
    assert PATIENT not in json.dumps(scrubbed) and "secret" not in json.dumps(scrubbed)
    exception = scrubbed["exception"]["values"][0]
    assert exception["type"] == "ValueError" and exception["value"] == REDACTED
    assert exception["stacktrace"]["frames"][0] == {
        "filename": "ketacare/x.py",
        "function": "f",
        "lineno": 3,
    }
    assert scrubbed["request"] == {"method": "POST"}
    assert scrubbed["transaction"] == "/c/{clinic_slug}/patients/"  # the route pattern
    assert not {"user", "breadcrumbs", "extra", "server_name"} & set(scrubbed)


class Captured(Transport):
    """Keeps what the SDK would send, instead of sending it."""

    sent: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.sent.append(envelope)


def test_an_error_sent_through_the_sdk_arrives_scrubbed() -> None:
    Captured.sent = []
    init("https://key@127.0.0.1/1", environment="test", release="ketacare@test", transport=Captured)
    try:
        try:
            legal_name = PATIENT  # a local variable the SDK could otherwise attach
            raise ValueError(f"no consent for {legal_name}")
        except ValueError as error:
            sentry_sdk.capture_exception(error)
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)  # the client off again for the other tests
    payloads = [item.payload.json for envelope in Captured.sent for item in envelope.items]
    events = [p for p in payloads if p and "exception" in p]
    assert len(events) == 1
    assert events[0]["exception"]["values"][0]["type"] == "ValueError"
    assert "Ada Quill" not in json.dumps(payloads)


def test_the_dsn_setting_starts_reporting_at_start_up() -> None:
    code = (
        "import django, sentry_sdk; django.setup(); "
        "client = sentry_sdk.get_client(); "
        "print(client.is_active(), client.options['data_collection']['user_info'])"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "ketacare.settings",
        "KETACARE_SENTRY_DSN": "https://key@127.0.0.1/1",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "False"]
